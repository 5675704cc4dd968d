// Named places in the participant SDK where a crash test can stop the process. The SDK only
// announces them (ParticipantOptions.faults); leave the hook unset and nothing happens there.

/** Each fault point (none passes anything to the hook). */
export interface ParticipantFaultPoints {
  /** A command's effect and inbox row committed; its reply not sent yet. */
  'command:committed': undefined;
  /** A 2PC prepare arrived; nothing logged, no vote yet. */
  'prepare:received': undefined;
  /** A 2PC prepare and its vote logged; the vote not sent yet. */
  'prepare:logged': undefined;
  /** A 2PC decision (commit or abort) arrived; not applied yet. */
  'decision:received': undefined;
}

export type ParticipantFaultPoint = keyof ParticipantFaultPoints;

/** The hook the SDK calls at each fault point (crash tests only). */
export interface ParticipantFaults {
  at(point: ParticipantFaultPoint): void;
}
