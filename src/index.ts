/** The public API: an explicit barrel. */
export type { Dtype, FloatArray, FormatInfo, HalfDtype, NativeDtype } from './float/dtype.js';
export { BFLOAT16, DTYPES, FLOAT16, FLOAT32, FLOAT64, formatOf, isHalf, NATIVE_DTYPES } from './float/dtype.js';
export { bitsOfError, fromOrdinal, nextDown, nextUp, ordinal, ulpDistance } from './float/ordinal.js';
export { formatValue, shortestFloat32 } from './float/shortest.js';

export type { Cause, Kernel, Pipeline } from './pipelines/types.js';
export { runKernel } from './pipelines/types.js';
export type { GenericLoss, RoundingFn } from './pipelines/generic.js';
export { GENERIC_LOSS, widenedLoss } from './pipelines/generic.js';
export type { Compute, Variant } from './pipelines/variant.js';
export { computeModes, runsIn, runVariant, variantsOf } from './pipelines/variant.js';
export { BUILTIN_PIPELINES, findPipeline } from './pipelines/registry.js';
export { naiveSoftmax, unshiftedLogSoftmax } from './pipelines/naive.js';
export { fusedCrossEntropy, logsumexpMinusTarget, stableLogSoftmax } from './pipelines/stable.js';
export { log1pLogSoftmax } from './pipelines/log1p.js';
export { onlineSoftmax } from './pipelines/online.js';
export { accurateCrossEntropy } from './pipelines/accurate.js';
export { meanLoss } from './pipelines/batch.js';
export { scratch32, scratch64 } from './pipelines/scratch.js';

export type { OracleResult } from './oracle/loss.js';
export { oracleLoss } from './oracle/loss.js';
export { exactDecimal, roundDecimal } from './oracle/exact.js';

export type { Case } from './cases/read.js';
export { parseCases, readCases } from './cases/read.js';
export type { BatchOptions, BatchOptionsInput, MaskedRows, OptionRow, Reduction } from './cases/options.js';
export { batchOptionsSchema, DEFAULT_OPTIONS, validateOptions } from './cases/options.js';
export type { BatchOracle } from './oracle/batch.js';
export { oracleBatch } from './oracle/batch.js';
export type { PipelineBatch } from './pipelines/options.js';
export { pipelineBatch } from './pipelines/options.js';
export type { Outcome, Verdict } from './score/outcome.js';
export { classify, DEFAULT_BUDGET, OUTCOMES } from './score/outcome.js';
export type { ScoredRow } from './score/score.js';
export { scoreCases } from './score/score.js';

export type { BenchSettings, Family, FuzzSettings, GateSettings, MapSettings, ShrinkSettings, SuiteInput, WatchdogSettings } from './suite/define.js';
export { defineSuite, FAMILIES } from './suite/define.js';
export type { Suite } from './suite/load.js';
export { loadSuite } from './suite/load.js';
export { InputError } from './util/errors.js';

export type { Panel } from './regions/grid.js';
export { fillRow, gapGrid, offsetGrid, PANELS } from './regions/grid.js';
export type { Threshold, ThresholdPair } from './regions/thresholds.js';
export { expThresholds } from './regions/thresholds.js';
export type { Boundary } from './regions/bisect.js';
export { bisectBoundary, lastWhere } from './regions/bisect.js';
export type { MapUnit } from './regions/map.js';
export { BOUNDARY_COLUMNS, mapUnits, REGION_COLUMNS } from './regions/map.js';
export type { MapFolder, MapManifest } from './regions/files.js';
export { hasMapOutput, readMapFolder, writeMapFolder } from './regions/files.js';
export { mergeMapDirs, mergeMapFolders } from './regions/merge.js';
export { renderMapSection } from './regions/section.js';
export { computeMap } from './regions/command.js';
export type { Traced } from './pipelines/diagnose.js';
export { Trace } from './pipelines/diagnose.js';

export type { FuzzCase } from './fuzz/families.js';
export { expOverflowAt, expUnderflowAt, familyArbitrary } from './fuzz/families.js';
export { caseAt, generateCases } from './fuzz/cases.js';
export { unitOfSeed, unitSeed } from './fuzz/seed.js';
export type { CampaignResult, Shard, Unit } from './fuzz/campaign.js';
export { campaignUnits, FAILURE_COLUMNS, FUZZ_COLUMNS, runCampaign } from './fuzz/campaign.js';
export { mergeFuzzDirs, mergeFuzzOutputs } from './fuzz/merge.js';
export type { FuzzSuiteOptions } from './fuzz/command.js';
export { fuzzSuite, parseShard } from './fuzz/command.js';
export type { OracleRow } from './pool/oracle-task.js';
export { oracleRows } from './pool/oracle-task.js';
export { compiledModule, WorkerCrashError, WorkerPool } from './pool/pool.js';
export type { Progress, ProgressOptions } from './util/progress.js';
export { startProgress } from './util/progress.js';

export type { BenchRow, BenchRun } from './bench/run.js';
export { referenceLoop, REFERENCE_NAME, runBench } from './bench/run.js';
export { BENCH_COLUMNS, benchHighlights, readBenchCsv, renderBenchSection } from './bench/section.js';
export { availablePeers, PEER_NAMES } from './peers/registry.js';
export { tfjsCpuLogSoftmax } from './peers/tfjs.js';
export { onnxruntimeLogSoftmax } from './peers/onnxruntime.js';

// Gradients (issue 14): backward kernels, the gradient oracle, `score --grad`.
export type { GradKernel, PipelineGrad } from './pipelines/types.js';
export type { GenericGrad } from './pipelines/generic.js';
export { GENERIC_GRAD } from './pipelines/generic.js';
export type { GradOracleResult, LossAndGradResult } from './oracle/grad.js';
export { oracleGrad, oracleLossAndGrad } from './oracle/grad.js';
export type { ScoredGrad } from './score/grad.js';
export { GRAD_COLUMNS, judgeGrad, scoreGradCases } from './score/grad.js';
export { maskedFamily, maskValues } from './fuzz/masked.js';
