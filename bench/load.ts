// Load generators shared by every system under test: a closed loop (N workers, each starts the
// next workflow when its last one ended) and an open loop (starts at fixed intended times, so
// queueing shows in the latency).

/** Starts one workflow meant to start at `intendedAt` (ms epoch); resolves with its end time (ms epoch). */
export type RunOne = (intendedAt: number) => Promise<number>;

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  /** Closed loop: workers; open loop: undefined. */
  concurrency?: number;
  /** Open loop: intended starts per second. */
  rate?: number;
  /** Workflows that ended inside the measurement window. */
  completed: number;
  /** Every workflow started in this phase that ended (the divisor of per-saga counters). */
  ended: number;
  /** Started, but not ended when the phase gave up waiting. */
  unfinished: number;
  seconds: number;
  perSec: number;
  latencyMs: Percentiles;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const round = (v: number) => Math.round(v * 10) / 10;
  return { p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(at(1)) };
}

/** Waits for `pending` to settle, at most `timeoutMs`; the timer does not outlive the wait. */
async function settle(pending: Set<Promise<unknown>>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.allSettled([...pending]), timeout]);
  clearTimeout(timer);
}

/**
 * `concurrency` workers for `durationMs`; throughput and latency count only workflows that ended
 * after the warm-up (the first fifth, at most 2 s). When a workflow takes longer than that window
 * (deep queues on a slow machine), the loop runs on, up to 4 × `durationMs`, until the window has
 * seen `concurrency` workflows end, so a level never reads 0/s just because it was short.
 */
export async function closedLoop(
  run: RunOne,
  concurrency: number,
  durationMs: number,
  drainTimeoutMs = 30_000,
): Promise<LoadResult> {
  const start = Date.now();
  const windowStart = start + Math.min(2_000, durationMs / 5);
  const end = start + durationMs;
  const latest = start + 4 * durationMs;
  const done: { finished: number; latency: number }[] = [];
  let windowEnd: number | undefined;
  let inWindow = 0;
  let ended = 0;
  let started = 0;
  const goOn = () => {
    if (windowEnd !== undefined) return false;
    const now = Date.now();
    if (now < end || (inWindow < concurrency && now < latest)) return true;
    windowEnd = now;
    return false;
  };
  const worker = async () => {
    while (goOn()) {
      const at = Date.now();
      started++;
      const finished = await run(at);
      ended++;
      if (finished >= windowStart) {
        inWindow++;
        done.push({ finished, latency: finished - at });
      }
    }
  };
  const pending = Array.from({ length: concurrency }, () =>
    worker().catch((error: unknown) => console.error(`worker: ${String(error)}`)),
  );
  await settle(new Set(pending), latest - start + drainTimeoutMs);
  const stop = windowEnd ?? Date.now();
  const latencies = done.filter((d) => d.finished <= stop).map((d) => d.latency);
  const seconds = (stop - windowStart) / 1000;
  return {
    concurrency,
    completed: latencies.length,
    ended,
    unfinished: started - ended,
    seconds: round2(seconds),
    perSec: round1(latencies.length / seconds),
    latencyMs: percentiles(latencies),
  };
}

/** Starts `rate` workflows per second for `durationMs`; latency is measured from the intended start. */
export async function openLoop(
  run: RunOne,
  rate: number,
  durationMs: number,
  drainTimeoutMs = 30_000,
): Promise<LoadResult> {
  const count = Math.max(1, Math.floor((rate * durationMs) / 1000));
  const start = Date.now() + 50;
  const latencies: number[] = [];
  const pending = new Set<Promise<unknown>>();
  for (let i = 0; i < count; i++) {
    const intended = start + (i * 1000) / rate;
    const wait = intended - Date.now();
    if (wait > 0) await sleep(wait);
    const p = run(intended).then(
      (finished) => latencies.push(finished - intended),
      (error: unknown) => console.error(`open loop: ${String(error)}`),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }
  await settle(pending, drainTimeoutMs);
  const seconds = durationMs / 1000;
  return {
    rate: round1(rate),
    completed: latencies.length,
    ended: latencies.length,
    unfinished: count - latencies.length,
    seconds,
    perSec: round1(latencies.length / seconds),
    latencyMs: percentiles(latencies),
  };
}

/** The level with the highest throughput. */
export const best = <L extends LoadResult>(levels: L[]): L =>
  levels.reduce((a, b) => (b.perSec > a.perSec ? b : a));

export const round1 = (v: number) => Math.round(v * 10) / 10;
export const round2 = (v: number) => Math.round(v * 100) / 100;

export interface SweepResult {
  levels: LoadResult[];
  best: LoadResult;
  open: LoadResult;
}

/**
 * The method every system gets: a closed-loop sweep, the best level as saturation, then an open
 * loop at `openFraction` of it for latency. `isStable` can veto a level (growing backlog).
 */
export async function sweep(
  run: RunOne,
  options: {
    concurrency: number[];
    durationMs: number;
    openDurationMs: number;
    openFraction: number;
    beforeLevel?: (concurrency: number) => Promise<void>;
    afterLevel?: (result: LoadResult) => Promise<void>;
    isStable?: (result: LoadResult) => boolean;
  },
): Promise<SweepResult> {
  const levels: LoadResult[] = [];
  for (const c of options.concurrency) {
    await options.beforeLevel?.(c);
    const result = await closedLoop(run, c, options.durationMs);
    levels.push(result);
    await options.afterLevel?.(result);
  }
  const stable = levels.filter((l) => options.isStable?.(l) ?? true);
  const saturation = best(stable.length ? stable : levels);
  const open = await openLoop(
    run,
    Math.max(1, saturation.perSec * options.openFraction),
    options.openDurationMs,
  );
  return { levels, best: saturation, open };
}
