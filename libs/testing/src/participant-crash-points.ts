// The crash points of participant test processes (the SDK's fixtures, the demo banks).
import type { ParticipantFaultPoint, ParticipantFaults } from '@skald/participant';
import { crashDevice, type CrashWindow } from './crash-device';

/** Every crash point a participant has, by the name SKALD_CRASH_AT arms it with. */
export const PARTICIPANT_CRASH_POINTS = {
  /** A step's effect and inbox row committed, its reply never sent. */
  'participant:after-commit': { at: 'command:committed' },
  /** A prepare received, nothing logged and no vote sent. */
  'twopc:participant-before-vote': { at: 'prepare:received' },
  /** A prepare and its vote logged, the vote never sent. */
  'twopc:participant-after-prepare-log': { at: 'prepare:logged' },
  /** A commit or abort received, not applied. */
  'twopc:participant-after-decision-received': { at: 'decision:received' },
} as const satisfies Record<string, CrashWindow<ParticipantFaultPoint>>;

export type ParticipantCrashPoint = keyof typeof PARTICIPANT_CRASH_POINTS;

/** A participant's `faults` option for a test process: the crash device over its crash points. */
export function participantCrashPoints(env: NodeJS.ProcessEnv = process.env): ParticipantFaults {
  return { at: crashDevice(PARTICIPANT_CRASH_POINTS, env) };
}
