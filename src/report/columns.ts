/** The columns of the report files, SPEC section 5, in order. */
/** fuzz.csv: SPEC's thirteen columns, then the key's trailing `compute,quantity` (src/report/key.ts). */
export const FUZZ_COLUMNS = ['pipeline', 'dtype', 'family', 'cases', 'ok', 'inaccurate', 'overflow', 'underflow', 'nan', 'max_ulp', 'mean_bits', 'max_bits', 'seed', 'compute', 'quantity'] as const;
/**
 * failures.csv: SPEC's twelve columns, its trailing `compute,quantity,class` (the row's
 * arithmetic format, quantity = loss, class empty until gradients are scored), then `kind`: `worst` (the failure
 * with the largest error found in a pipeline × dtype × family, as generated) or `shrunk`
 * (a failure shrunk by fast-check to a small case with the same outcome).
 */
export const FAILURES_COLUMNS = ['pipeline', 'dtype', 'family', 'outcome', 'cause', 'ulp_error', 'loss', 'oracle_loss', 'target', 'logits', 'seed', 'path', 'compute', 'quantity', 'class', 'kind'] as const;
export const FAILURE_KINDS = ['worst', 'shrunk'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];
/** regions.csv and boundaries.csv: SPEC's columns, then the key's trailing `compute,quantity`. */
export const REGIONS_COLUMNS = ['pipeline', 'dtype', 'panel', 'offset', 'gap', 'outcome', 'cause', 'ulp_error', 'compute', 'quantity'] as const;
export const BOUNDARIES_COLUMNS = ['pipeline', 'dtype', 'panel', 'axis', 'fixed', 'from_outcome', 'to_outcome', 'last_value', 'first_value', 'compute', 'quantity'] as const;
export const BENCH_COLUMNS = ['pipeline', 'dtype', 'path', 'workers', 'batch', 'classes', 'mean_ms', 'p99_ms', 'rme_pct', 'samples', 'elements_per_s', 'relative_to_reference', 'compute', 'quantity', 'ci_low', 'ci_high'] as const;
/** gate.csv: SPEC's columns, then the compared rows' `compute,quantity` (an addition after the listed ones). */
export const GATE_COLUMNS = ['check', 'pipeline', 'dtype', 'metric', 'baseline', 'current', 'limit', 'status', 'compute', 'quantity'] as const;
