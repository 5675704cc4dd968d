// Machine-independent counters read around each phase: PostgreSQL write transactions (transaction
// ids handed out: exact and immediate, server-wide), all commits (pg_stat_database, per database,
// but other backends report them up to 10 s late), statements (pg_stat_statements), WAL bytes
// (pg_current_wal_lsn), Kafka messages (topic end offsets) and CPU time per process (/proc).
import { readFileSync, readdirSync } from 'node:fs';
import type { Admin } from 'kafkajs';
import type { Pool } from 'pg';
import { round2 } from './load';

const TICK_MS = 10; // CLK_TCK is 100 on Linux

/** utime + stime (+ the reaped children's, when `withChildren`) of one process, in ms; 0 when gone. */
export function processCpuMs(pid: number, withChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name, which may contain spaces: state is field 3
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return (utime + stime + (withChildren ? cutime + cstime : 0)) * TICK_MS;
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** CPU of a server and all its live children (PostgreSQL backends), plus the children it reaped. */
export function processTreeCpuMs(rootPid: number): number {
  let total = processCpuMs(rootPid, true);
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && parentOf(pid) === rootPid) total += processCpuMs(pid);
  }
  return total;
}

/** The processes whose CPU is counted, by role; a value of undefined means "not ours to measure". */
export type CpuSources = Record<string, (() => number) | undefined>;

export function readCpu(sources: CpuSources): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [role, read] of Object.entries(sources)) if (read) out[role] = read();
  return out;
}

/** CPU ms per process per saga, by role; `total` leaves out the bench's own driver. */
export type CpuPerSaga = Record<string, number> & { total: number };

/** CPU ms per saga between two readings of `readCpu` over `sagas` sagas. */
export function cpuPerSaga(
  before: Record<string, number>,
  after: Record<string, number>,
  sagas: number,
): CpuPerSaga {
  const n = Math.max(1, sagas);
  const perSaga: Record<string, number> = {};
  let total = 0;
  for (const [role, ms] of Object.entries(after)) {
    const used = ms - (before[role] ?? 0);
    perSaga[role] = round2(used / n);
    if (role !== 'driver') total += used;
  }
  return { ...perSaga, total: round2(total / n) };
}

export interface PgSnapshot {
  /** The next transaction id: every transaction that wrote took one. */
  nextXid: number;
  commits: number;
  statements: number | null;
  walLsn: string;
}

/** Whether pg_stat_statements can be read on this server (it needs shared_preload_libraries). */
export async function enableStatementStats(admin: Pool): Promise<boolean> {
  try {
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await admin.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * Commits and statements of the given databases, and the WAL position. Statements are the ones
 * clients sent, plus those run inside functions; transaction control and PostgreSQL's own
 * foreign-key checks (`… FOR KEY SHARE OF x`, listed apart in `engineStatements`) are left out.
 */
export async function pgSnapshot(
  admin: Pool,
  databases: string[],
  statements: boolean,
): Promise<PgSnapshot> {
  // pg_snapshot_xmax reads the next transaction id without taking one
  const { rows } = await admin.query<{ xid: string; commits: string; lsn: string }>(
    `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid,
            coalesce(sum(xact_commit), 0)::bigint AS commits, pg_current_wal_lsn()::text AS lsn
       FROM pg_stat_database WHERE datname = ANY($1)`,
    [databases],
  );
  let count: number | null = null;
  if (statements) {
    const s = await admin.query<{ calls: string }>(
      `SELECT coalesce(sum(calls), 0)::bigint AS calls FROM pg_stat_statements s
         JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = ANY($1)
          AND s.query !~* '^\\s*(begin|commit|rollback|start transaction|set |show |select pg_stat)'
          AND s.query NOT LIKE '%FOR KEY SHARE OF x'`,
      [databases],
    );
    count = Number(s.rows[0].calls);
  }
  return {
    nextXid: Number(rows[0].xid),
    commits: Number(rows[0].commits),
    statements: count,
    walLsn: rows[0].lsn,
  };
}

export async function walBytes(admin: Pool, from: string, to: string): Promise<number> {
  const { rows } = await admin.query<{ bytes: string }>(
    'SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::bigint AS bytes',
    [from, to],
  );
  return Number(rows[0].bytes);
}

/** Messages ever written to the topics whose names start with one of `prefixes` (sum of end offsets). */
export async function kafkaMessages(admin: Admin, prefixes: string[]): Promise<number> {
  const topics = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
  let total = 0;
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high);
  }
  return total;
}

/** Consumer lag of a group on its topics (end offset minus committed offset, summed). */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topics: string[],
): Promise<number> {
  let lag = 0;
  for (const topic of topics) {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]));
    for (const end of ends) {
      const at = done.get(end.partition) ?? -1;
      lag += Math.max(0, Number(end.high) - Math.max(at, Number(end.low)));
    }
  }
  return lag;
}

export interface CounterSnapshot {
  pg: PgSnapshot;
  kafka: number;
  cpu: Record<string, number>;
}

export interface PerSaga {
  sagas: number;
  /** Transactions that wrote (each a WAL flush with synchronous_commit=on), server-wide. */
  pgCommits: number;
  /** Every commit in the measured databases, read-only ones too (pg_stat_database; may lag). */
  xactCommits: number;
  /** Statements other than BEGIN/COMMIT; null without pg_stat_statements. */
  statements: number | null;
  walBytes: number;
  kafkaMessages: number;
  cpuMs: CpuPerSaga;
}

/** Reads every counter; `ownQueries` are the bench's own statements to subtract later. */
export class Counters {
  constructor(
    private readonly admin: Pool,
    private readonly kafkaAdmin: Admin,
    private readonly statementsEnabled: boolean,
  ) {}

  async snapshot(databases: string[], topicPrefixes: string[], cpu: CpuSources) {
    const [pg, kafka] = await Promise.all([
      pgSnapshot(this.admin, databases, this.statementsEnabled),
      kafkaMessages(this.kafkaAdmin, topicPrefixes),
    ]);
    return { pg, kafka, cpu: readCpu(cpu) } satisfies CounterSnapshot;
  }

  /** Per-saga deltas; `ownCommits` are read-only queries the driver itself made in the measured databases. */
  async perSaga(
    before: CounterSnapshot,
    after: CounterSnapshot,
    sagas: number,
    ownCommits = 0,
  ): Promise<PerSaga> {
    const n = Math.max(1, sagas);
    return {
      sagas,
      pgCommits: round2((after.pg.nextXid - before.pg.nextXid) / n),
      xactCommits: round2((after.pg.commits - before.pg.commits - ownCommits) / n),
      statements:
        after.pg.statements === null || before.pg.statements === null
          ? null
          : round2((after.pg.statements - before.pg.statements - ownCommits) / n),
      walBytes: Math.round((await walBytes(this.admin, before.pg.walLsn, after.pg.walLsn)) / n),
      kafkaMessages: round2((after.kafka - before.kafka) / n),
      cpuMs: cpuPerSaga(before.cpu, after.cpu, sagas),
    };
  }
}
