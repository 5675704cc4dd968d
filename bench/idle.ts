// The idle window: the orchestrator and the participants up, no saga running, for a fixed time.
// What they cost then is what they cost a user with no work: CPU (% of one core, from /proc) and
// the statements and write transactions they issue (pg_stat_statements, transaction ids).
import type { Counters, CpuSources } from './counters';
import { round2, sleep } from './load';

export interface IdleWindow {
  seconds: number;
  orchestratorCpuPct: number;
  participantsCpuPct: number;
  /** Statements in the orchestrator's database (as counted per saga), the bench's own left out. */
  statements: number | null;
  /** Transactions that wrote, server-wide (nothing else runs meanwhile). */
  pgWriteTransactions: number;
}

/** CPU % of one core between two readings `elapsedMs` apart. */
export function cpuPercent(beforeMs: number, afterMs: number, elapsedMs: number): number {
  return round2(((afterMs - beforeMs) / Math.max(1, elapsedMs)) * 100);
}

export async function idleWindow(rig: {
  counters: Counters;
  database: string;
  cpu: CpuSources & { orchestrator: () => number; participants: () => number };
  /** The bench's own queries in that database so far (subtracted). */
  ownQueries: () => number;
  seconds: number;
}): Promise<IdleWindow> {
  const cpu = { orchestrator: rig.cpu.orchestrator, participants: rig.cpu.participants };
  const own = rig.ownQueries();
  const from = await rig.counters.snapshot([rig.database], [], cpu);
  const startedAt = Date.now();
  await sleep(rig.seconds * 1000);
  const to = await rig.counters.snapshot([rig.database], [], cpu);
  const elapsed = Date.now() - startedAt;
  const ownInWindow = rig.ownQueries() - own;
  return {
    seconds: round2(elapsed / 1000),
    orchestratorCpuPct: cpuPercent(from.cpu.orchestrator, to.cpu.orchestrator, elapsed),
    participantsCpuPct: cpuPercent(from.cpu.participants, to.cpu.participants, elapsed),
    statements:
      to.pg.statements === null || from.pg.statements === null
        ? null
        : to.pg.statements - from.pg.statements - ownInWindow,
    pgWriteTransactions: to.pg.nextXid - from.pg.nextXid,
  };
}
