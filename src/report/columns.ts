/** The columns of the report files, SPEC section 5, in order. */
export const FUZZ_COLUMNS = ['pipeline', 'dtype', 'family', 'cases', 'ok', 'inaccurate', 'overflow', 'underflow', 'nan', 'max_ulp', 'mean_bits', 'max_bits', 'seed'] as const;
export const FAILURES_COLUMNS = ['pipeline', 'dtype', 'family', 'outcome', 'cause', 'ulp_error', 'loss', 'oracle_loss', 'target', 'logits', 'seed', 'path'] as const;
export const REGIONS_COLUMNS = ['pipeline', 'dtype', 'panel', 'offset', 'gap', 'outcome', 'cause', 'ulp_error'] as const;
export const BOUNDARIES_COLUMNS = ['pipeline', 'dtype', 'panel', 'axis', 'fixed', 'from_outcome', 'to_outcome', 'last_value', 'first_value'] as const;
export const BENCH_COLUMNS = ['pipeline', 'dtype', 'path', 'workers', 'batch', 'classes', 'mean_ms', 'p99_ms', 'rme_pct', 'samples', 'elements_per_s', 'relative_to_reference', 'compute', 'quantity', 'ci_low', 'ci_high'] as const;
export const GATE_COLUMNS = ['check', 'pipeline', 'dtype', 'metric', 'baseline', 'current', 'limit', 'status'] as const;
