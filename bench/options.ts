// `npm run bench -- [flags]`: the settings of one run, all recorded in the result.

export interface BenchSettings {
  /** Closed-loop levels of W1 (and of the baselines, the floor and DBOS). */
  concurrency: number[];
  /** Seconds per closed-loop level of W1. */
  durationSec: number;
  /** Seconds of the open loop (latency) for every system. */
  openDurationSec: number;
  /** Open-loop rate as a fraction of each system's saturation throughput. */
  openFraction: number;
  /** Seconds of W2 (10 % of sagas refused at step 3). */
  w2DurationSec: number;
  /** Share of W2 sagas whose third step is refused. */
  w2FailureRate: number;
  /** Sagas of W3 (started with the participants stopped). */
  drain: number;
  /** Seconds of the idle window (orchestrator and participants up, no saga), after W3. */
  idleDurationSec: number;
  /** Seconds per closed-loop level of the baselines, the floor and DBOS. */
  baselineDurationSec: number;
  /** Completion poll interval of the driver (does not affect latency, read from `ended_at`). */
  pollMs: number;
  /** Run DBOS Transact as the peer. */
  dbos: boolean;
  /** Run Restate (restate-server and the TypeScript SDK) as a baseline. */
  restate: boolean;
  /** Whole measurements in one run; figures are reported as the median and min–max of them. */
  repeat: number;
  /** The orchestrator's environment that matters for speed (SKALD_* variables). */
  orchestratorEnv: Record<string, string>;
  quick: boolean;
}

const USAGE = `npm run bench -- [--quick] [--duration s] [--concurrency 1,16,64,256] [--open-duration s]
  [--open-fraction 0.5] [--w2-duration s] [--drain n] [--idle-duration s] [--baseline-duration s] [--poll-ms ms]
  [--pool n] [--partitions n] [--timer-poll-ms ms] [--env KEY=VALUE]... [--no-dbos] [--no-restate]
  [--repeat n]`;

export function parseBenchArgs(argv: string[]): BenchSettings {
  const quick = argv.includes('--quick');
  const settings: BenchSettings = {
    concurrency: quick ? [1, 64] : [1, 16, 64, 256],
    durationSec: quick ? 4 : 8,
    openDurationSec: quick ? 4 : 10,
    openFraction: 0.5,
    w2DurationSec: quick ? 4 : 8,
    w2FailureRate: 0.1,
    drain: quick ? 300 : 2_000,
    idleDurationSec: 10,
    baselineDurationSec: quick ? 2 : 3,
    pollMs: 10,
    dbos: true,
    restate: true,
    repeat: 1,
    orchestratorEnv: {
      SKALD_DB_POOL_SIZE: '20',
      SKALD_TOPIC_PARTITIONS: '4',
      LOG_LEVEL: 'warn',
    },
    quick,
  };
  // SKALD_* variables of the bench's own environment reach the orchestrator (and are recorded)
  for (const [key, value] of Object.entries(process.env))
    if (key.startsWith('SKALD_') && value !== undefined) settings.orchestratorEnv[key] = value;

  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n <= 0)
      throw new Error(`${flag} needs a positive number\n${USAGE}`);
    return n;
  };
  const env = settings.orchestratorEnv;
  // flags that take one positive number, and where it goes
  const numeric: Record<string, (n: number) => void> = {
    '--duration': (n) => (settings.durationSec = n),
    '--open-duration': (n) => (settings.openDurationSec = n),
    '--open-fraction': (n) => (settings.openFraction = n),
    '--w2-duration': (n) => (settings.w2DurationSec = n),
    '--drain': (n) => (settings.drain = Math.round(n)),
    '--baseline-duration': (n) => (settings.baselineDurationSec = n),
    '--idle-duration': (n) => (settings.idleDurationSec = n),
    '--poll-ms': (n) => (settings.pollMs = n),
    '--repeat': (n) => (settings.repeat = Math.round(n)),
    '--pool': (n) => (env.SKALD_DB_POOL_SIZE = String(Math.round(n))),
    '--partitions': (n) => (env.SKALD_TOPIC_PARTITIONS = String(Math.round(n))),
    '--timer-poll-ms': (n) => (env.SKALD_TIMER_POLL_MS = String(Math.round(n))),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quick') continue;
    if (flag === '--no-dbos') {
      settings.dbos = false;
    } else if (flag === '--no-restate') {
      settings.restate = false;
    } else if (flag === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (numeric[flag]) {
      numeric[flag](number(flag, argv[++i]));
    } else if (flag === '--concurrency') {
      settings.concurrency = (argv[++i] ?? '').split(',').map((c) => Math.round(number(flag, c)));
    } else if (flag === '--env') {
      const [key, ...rest] = (argv[++i] ?? '').split('=');
      if (!key || rest.length === 0) throw new Error(`--env needs KEY=VALUE\n${USAGE}`);
      env[key] = rest.join('=');
    } else {
      throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return settings;
}
