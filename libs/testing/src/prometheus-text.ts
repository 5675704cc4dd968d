// A reader of the Prometheus text exposition format (version 0.0.4, what prom-client writes), for
// tests that scrape /metrics: samples with their labels, and the type each metric declares.

export interface Sample {
  /** The sample's name: a histogram's `_bucket`, `_sum` and `_count` are samples of their own. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** `# TYPE` of each metric family, by family name. */
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const UNESCAPE: Record<string, string> = { '\\\\': '\\', '\\"': '"', '\\n': '\n' };

/** Parses a scrape; throws naming the first line that is neither a sample, a comment nor blank. */
export function parsePrometheusText(text: string): Scrape {
  const scrape: Scrape = { samples: [], types: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const [, keyword, family, type] = line.split(/\s+/);
      if (keyword === 'TYPE') scrape.types.set(family, type);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(LABEL))
      labels[name] = value.replace(/\\[\\"n]/g, (escape) => UNESCAPE[escape]);
    scrape.samples.push({ name: match[1], labels, value: parseValue(match[3]) });
  }
  return scrape;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  // prom-client 15 writes NaN as `Nan` (Prometheus reads either)
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`not a sample value: ${text}`);
  return value;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(
  scrape: Scrape,
  name: string,
  labels: Record<string, string> = {},
): number {
  return scrape.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** Whether any sample is named `name`. */
export function hasSample(scrape: Scrape, name: string): boolean {
  return scrape.samples.some((s) => s.name === name);
}
