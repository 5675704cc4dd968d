// The chaos runner's command line: what to run, and which faults in what mix.
import { parseArgs } from 'node:util';

export const FAULT_KINDS = [
  'orchestrator-kill',
  'participant-kill',
  'participant-freeze',
  'orchestrator-pause',
  'kafka-restart',
  'postgres-restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Bad usage: the runner prints it and exits 2. */
export class UsageError extends Error {}

export interface ChaosOptions {
  sagas: number;
  faults: number;
  /** The kinds to inject and their relative weights (1 each unless `kind=weight`). */
  kinds: { kind: FaultKind; weight: number }[];
  seed: number;
  settleSeconds: number;
  freezeMs: number;
}

export function parseChaosArgs(args: string[]): ChaosOptions {
  const { values } = parseArgs({
    args,
    options: {
      sagas: { type: 'string', default: '200' },
      faults: { type: 'string', default: '10' },
      /** `a,b` picks kinds; `a=15,b=5` also weights them. @default every kind, weight 1 */
      kinds: { type: 'string', default: '' },
      seed: { type: 'string', default: String(Date.now() % 100_000) },
      'settle-seconds': { type: 'string', default: '240' },
      /** How long participant-freeze keeps the participants stopped; longer than reserve-car's forward budget. */
      'freeze-seconds': { type: 'string', default: '15' },
    },
  });
  const integer = (name: string, text: string | undefined, min: number): number => {
    const n = Number(text);
    if (text === undefined || !/^\d+$/.test(text) || n < min)
      throw new UsageError(`${name} must be an integer of at least ${min}, got ${text}`);
    return n;
  };
  const asked = String(values.kinds)
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((entry) => {
      const [kind, weight] = entry.split('=');
      return { kind, weight: weight === undefined ? 1 : integer(`--kinds ${kind}=`, weight, 1) };
    });
  const unknown = asked.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k.kind));
  if (unknown.length > 0)
    throw new UsageError(
      `--kinds: unknown fault kind${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => k.kind).join(', ')}; the kinds are ${FAULT_KINDS.join(', ')}`,
    );
  const twice = asked.filter((k, i) => asked.findIndex((o) => o.kind === k.kind) !== i);
  if (twice.length > 0)
    throw new UsageError(`--kinds: ${twice.map((k) => k.kind).join(', ')} given twice`);
  return {
    sagas: integer('--sagas', values.sagas, 1),
    faults: integer('--faults', values.faults, 0),
    kinds:
      asked.length > 0
        ? (asked as ChaosOptions['kinds'])
        : FAULT_KINDS.map((kind) => ({ kind, weight: 1 })),
    seed: integer('--seed', values.seed, 0),
    settleSeconds: integer('--settle-seconds', values['settle-seconds'], 1),
    freezeMs: integer('--freeze-seconds', values['freeze-seconds'], 1) * 1_000,
  };
}

/**
 * The run's faults in random order: `faults` of them, shared among the kinds in proportion to
 * their weights (largest remainder first), so `orchestrator-kill=15,participant-kill=5` with 20
 * faults gives exactly 15 kills and 5 participant kills.
 */
export function faultSchedule(
  kinds: ChaosOptions['kinds'],
  faults: number,
  random: () => number,
): FaultKind[] {
  const total = kinds.reduce((sum, k) => sum + k.weight, 0);
  const shares = kinds.map((k) => (k.weight * faults) / total);
  const counts = shares.map(Math.floor);
  const byRemainder = shares
    .map((share, i) => ({ i, rest: share - counts[i] }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let left = faults - counts.reduce((a, b) => a + b, 0), j = 0; left > 0; left--, j++)
    counts[byRemainder[j].i]++;
  const schedule = kinds.flatMap((k, i) => Array<FaultKind>(counts[i]).fill(k.kind));
  for (let i = schedule.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [schedule[i], schedule[j]] = [schedule[j], schedule[i]];
  }
  return schedule;
}
