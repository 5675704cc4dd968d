/**
 * The conformance kit: checks any Skald participant, in any language, against the wire protocol
 * (docs/protocol.md) from the outside, acting as the orchestrator would. Also a command,
 * `skald-conformance` (docs/conformance.md). Depends on @skald/protocol and kafkajs only.
 *
 * @example
 * import { formatReport, runConformance } from '@skald/conformance';
 * const report = await runConformance({
 *   participant: 'cars', brokers: ['localhost:9092'],
 *   command: 'reserve', payload: { customer: 'ada', model: 'compact' }, compensation: 'cancel',
 * });
 * console.log(formatReport(report).join('\n')); // one line per check, then a summary
 * process.exitCode = report.passed ? 0 : 1;
 */
export { CONFORMANCE_ERROR_CODES, ConformanceSetupError, ConformanceUsageError } from './errors';
export { DEFAULT_TIMEOUT_MS, type ConformanceOptions } from './options';
export {
  CHECKS,
  formatReport,
  type CheckId,
  type CheckResult,
  type Report,
  type Verdict,
} from './report';
export { runConformance } from './run';
