// The console tables and the JSON summary of the baselines.
import type { ChildResult } from './child';
import type { CpuPerSaga, PerSaga } from './counters';
import type { LoadResult } from './load';
import type { RestatePass } from './restate';

export type ChildRun = ChildResult & {
  perSaga: PerSaga;
  perLevel: Record<number, PerSaga>;
  wholeRun: PerSaga;
};

export interface BaselinePass {
  pgTxPerSec: number;
  pgLevels: LoadResult[];
  kafkaRoundTripsPerSec: number;
  kafkaRttP50Ms: number;
  kafkaRttP99Ms: number;
  kafkaLevels: LoadResult[];
  floor: ChildRun;
  dbos?: ChildRun;
  restate?: RestatePass;
}

/** Prints an aligned console table. */
export function printTable(title: string, header: string[], rows: (string | number | null)[][]) {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null ? '–' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/** The console tables of a run. */
export function printReport(
  ratios: Record<string, number | null>,
  r: {
    w1: (LoadResult & { perSaga: PerSaga })[];
    open: LoadResult;
    w2: LoadResult;
    w2PerSaga: PerSaga;
    w3: { drainSagasPerSec: number; sagas: number; perSaga: PerSaga };
    before: BaselinePass;
    after: BaselinePass;
    countersConcurrency: number;
  },
) {
  const counts = (p?: PerSaga) =>
    p
      ? [p.pgCommits, p.statements, p.walBytes, p.kafkaMessages, p.cpuMs.total]
      : [null, null, null, null, null];
  const load = (
    system: string,
    phase: string,
    l: LoadResult,
    p?: PerSaga,
    // Restate: only its CPU is counted (no PostgreSQL or Kafka)
    cpuOnly?: CpuPerSaga,
  ) => [
    system,
    phase,
    l.concurrency ?? `${l.rate}/s`,
    l.perSec,
    l.latencyMs.p50,
    l.latencyMs.p95,
    l.latencyMs.p99,
    ...(cpuOnly ? [null, null, null, null, cpuOnly.total] : counts(p)),
  ];
  const rows: (string | number | null)[][] = [
    ...r.w1.map((l) => load('skald', 'W1 closed', l, l.perSaga)),
    load('skald', 'W1 open', r.open),
    load('skald', 'W2 10% comp.', r.w2, r.w2PerSaga),
    [
      'skald',
      'W3 drain',
      r.w3.sagas,
      r.w3.drainSagasPerSec,
      null,
      null,
      null,
      ...counts(r.w3.perSaga),
    ],
  ];
  for (const [name, pass] of [
    ['before', r.before],
    ['after', r.after],
  ] as const) {
    for (const [system, run] of [
      ['floor', pass.floor],
      ['dbos', pass.dbos],
    ] as const) {
      if (!run) continue;
      for (const l of run.levels)
        rows.push(load(`${system} ${name}`, 'closed', l, run.perLevel[l.concurrency!]));
      rows.push(load(`${system} ${name}`, 'open', run.open));
    }
    for (const [shape, run] of Object.entries(pass.restate ?? {})) {
      for (const l of run.levels)
        rows.push(
          load(`restate ${shape} ${name}`, 'closed', l, undefined, run.perLevel[l.concurrency!]),
        );
      rows.push(load(`restate ${shape} ${name}`, 'open', run.open));
    }
    for (const l of pass.pgLevels) rows.push(load(`pg tx ${name}`, 'step shape', l));
    for (const l of pass.kafkaLevels) rows.push(load(`kafka ${name}`, 'ping-pong', l));
  }
  printTable(
    'Results (per second; latency in ms; counters per saga)',
    [
      'system',
      'phase',
      'conc/rate',
      'per s',
      'p50',
      'p95',
      'p99',
      'commits',
      'stmts',
      'WAL B',
      'kafka msgs',
      'CPU ms',
    ],
    rows,
  );
  printTable(
    'Ratios (each baseline: the better of before and after)',
    ['ratio', 'value'],
    Object.entries(ratios),
  );
  const roles = [
    'orchestrator',
    'participants',
    'postgres',
    'kafka',
    'floor',
    'dbos',
    'restate-server',
    'restate-services',
    'driver',
  ];
  const cpu = (label: string, p: PerSaga | { cpuMs: CpuPerSaga }) => [
    label,
    ...roles.map((k) => p.cpuMs[k] ?? null),
    p.cpuMs.total,
  ];
  const restateCpu = (name: string, pass: BaselinePass) =>
    Object.entries(pass.restate ?? {}).map(([shape, run]) =>
      cpu(`restate ${shape} ${name} c=${r.countersConcurrency}`, { cpuMs: run.perSaga }),
    );
  printTable(
    'CPU ms per saga by process',
    ['phase', ...roles, 'total'],
    [
      ...r.w1.map((l) => cpu(`skald W1 c=${l.concurrency}`, l.perSaga)),
      cpu('skald W2', r.w2PerSaga),
      cpu('skald W3', r.w3.perSaga),
      cpu(`floor before c=${r.countersConcurrency}`, r.before.floor.perSaga),
      cpu(`floor after c=${r.countersConcurrency}`, r.after.floor.perSaga),
      ...(r.before.dbos
        ? [cpu(`dbos before c=${r.countersConcurrency}`, r.before.dbos.perSaga)]
        : []),
      ...(r.after.dbos ? [cpu(`dbos after c=${r.countersConcurrency}`, r.after.dbos.perSaga)] : []),
      ...restateCpu('before', r.before),
      ...restateCpu('after', r.after),
    ],
  );
}

/** A load level as the JSON keeps it (`p99` for the raw Kafka and Restate levels). */
function levelSummary(l: LoadResult, withP99 = false) {
  const level = { concurrency: l.concurrency, perSec: l.perSec, p50: l.latencyMs.p50 };
  return withP99 ? { ...level, p99: l.latencyMs.p99 } : level;
}

/** One baseline pass as the JSON keeps it. */
export function summarizePass(pass: BaselinePass) {
  const child = (r?: ChildRun) =>
    r && {
      sagasPerSec: r.best.perSec,
      atConcurrency: r.best.concurrency,
      openLoop: r.open,
      levels: r.levels.map((l) => levelSummary(l)),
      perSaga: r.perSaga,
      perLevel: r.perLevel,
      wholeRun: r.wholeRun,
    };
  return {
    pgTxPerSec: pass.pgTxPerSec,
    pgLevels: pass.pgLevels.map((l) => levelSummary(l)),
    kafkaRoundTripsPerSec: pass.kafkaRoundTripsPerSec,
    kafkaRttP50Ms: pass.kafkaRttP50Ms,
    kafkaRttP99Ms: pass.kafkaRttP99Ms,
    kafkaLevels: pass.kafkaLevels.map((l) => levelSummary(l, true)),
    floor: child(pass.floor),
    dbos: child(pass.dbos),
    restate:
      pass.restate &&
      Object.fromEntries(
        Object.entries(pass.restate).map(([shape, r]) => [
          shape,
          {
            sagasPerSec: r.best.perSec,
            atConcurrency: r.best.concurrency,
            openLoop: r.open,
            levels: r.levels.map((l) => levelSummary(l, true)),
            perSaga: r.perSaga,
            perLevel: r.perLevel,
          },
        ]),
      ),
  };
}
