// What a run of the kit found: one result per check, printed one line each, then a summary.

/** Every check, in the order it is reported; the id is stable (scripts may match on it). */
export const CHECKS = {
  correlation:
    "answers a command with the command's ce_id as ce_correlationid, keyed by the saga id",
  redelivery: 'a redelivered ce_id gets the same reply',
  'new-attempt':
    'a new attempt (new ce_id, ce_attempt 2) of the same saga and step gets the stored reply: the handler does not run twice',
  'empty-compensation': 'a compensation of a step that never ran is answered success',
  'fenced-after-compensation':
    'the command arriving after that compensation is refused: failure FENCED',
  'repeated-compensation':
    'a repeated compensation (redelivered, and as a new attempt) is a no-op: the same reply',
  'dead-letter-bad-json':
    'a command whose value is not JSON goes to the DLQ with the skald_dlq_* headers and is answered failure MALFORMED_MESSAGE',
  'dead-letter-missing-header':
    'a command without ce_sagastep goes to the DLQ with the skald_dlq_* headers and is answered failure MALFORMED_MESSAGE',
  'stays-up':
    'a valid command behind the malformed ones (same key, same partition) is still answered',
} as const;
export type CheckId = keyof typeof CHECKS;

/** A check's outcome: `detail` says what was seen (for a failure, why it failed). */
export interface Verdict {
  passed: boolean;
  detail: string;
}

export interface CheckResult extends Verdict {
  id: CheckId;
  title: string;
}

export interface Report {
  participant: string;
  /** The participant's command topic the kit sent to. */
  commandTopic: string;
  /** Whether every check passed. */
  passed: boolean;
  checks: CheckResult[];
  /** What the kit made and could not remove afterwards (its reply topic, its consumer groups). */
  leftovers: string[];
}

export const pass = (detail: string): Verdict => ({ passed: true, detail });
export const fail = (detail: string): Verdict => ({ passed: false, detail });

/** One line per check (`PASS id: title (detail)` or `FAIL id: title: reason`), then the summary. */
export function formatReport(report: Report): string[] {
  const lines = report.checks.map((check) =>
    check.passed
      ? `PASS ${check.id}: ${check.title} (${check.detail})`
      : `FAIL ${check.id}: ${check.title}: ${check.detail}`,
  );
  const failed = report.checks.filter((check) => !check.passed).length;
  lines.push(
    `${report.checks.length} checks on participant "${report.participant}" (${report.commandTopic}): ` +
      `${report.checks.length - failed} passed, ${failed} failed`,
  );
  for (const leftover of report.leftovers) lines.push(`note: could not remove ${leftover}`);
  return lines;
}
