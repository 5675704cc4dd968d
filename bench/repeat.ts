// `--repeat n`: the figures of n whole measurements, each as its median and spread (min–max).
import { round2 } from './load';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median, min and max of the finite numbers among `values`; null when there are none. */
export function spread(values: unknown[]): Spread | null {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length === 0) return null;
  return {
    median: round2(median(numbers)),
    min: round2(Math.min(...numbers)),
    max: round2(Math.max(...numbers)),
  };
}

type Summary = Spread | null | { [key: string]: Summary };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The same shape as the runs' objects, each number replaced by its spread over the runs (a key a
 * run lacks, or holds null, is left out of that key's spread). Strings and arrays are dropped.
 */
export function summarizeRuns(runs: unknown[]): Summary | undefined {
  const present = runs.filter((r) => r !== null && r !== undefined);
  if (present.length === 0) return null;
  if (present.every((r) => typeof r === 'number')) return spread(present);
  if (!present.every(isRecord)) return undefined;
  const keys = [...new Set(present.flatMap((r) => Object.keys(r)))];
  const out: Record<string, Summary> = {};
  for (const key of keys) {
    const summary = summarizeRuns(present.map((r) => r[key]));
    if (summary !== undefined) out[key] = summary;
  }
  return out;
}

/** The leaves of a summary as [dotted path, spread] rows, for a console table. */
export function spreadRows(summary: Summary | undefined, path = ''): [string, Spread | null][] {
  if (summary === undefined) return [];
  if (summary === null) return [[path, null]];
  if (typeof summary.median === 'number') return [[path, summary as Spread]];
  return Object.entries(summary).flatMap(([key, value]) =>
    spreadRows(value as Summary, path ? `${path}.${key}` : key),
  );
}
