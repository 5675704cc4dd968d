// SKALD_PARTICIPANT_LIMITS (or SKALD_PARTICIPANT_LIMITS_FILE): flow-control limits of named
// participants, as JSON keyed by participant name, over the global ones (docs/operations.md).
import type { FlowControlOptions } from '../resilience/flow-control';

/** The accepted range of each limit, for the global variables and the per-participant JSON alike. */
export const FLOW_LIMIT_RANGES = {
  maxInFlight: [1, 1_000_000],
  failureThreshold: [1, 1_000],
  openMs: [10, 3_600_000],
  halfOpenProbes: [1, 1_000],
  retriesPerSecond: [1, 1_000_000],
  ratePerSecond: [1, 1_000_000],
} as const satisfies Record<string, readonly [number, number]>;

type Limit = keyof typeof FLOW_LIMIT_RANGES;

/** The JSON's fields: top level, and under `breaker`. */
const TOP_FIELDS = ['maxInFlight', 'ratePerSecond', 'retriesPerSecond', 'breaker'] as const;
const BREAKER_FIELDS = ['failureThreshold', 'openMs', 'halfOpenProbes'] as const;

/** A participant's name becomes a Kafka topic name (`<prefix>.commands.<name>`). */
const PARTICIPANT_NAME = /^[A-Za-z0-9._-]{1,200}$/;

interface Parsed {
  limits: Record<string, FlowControlOptions>;
  problems: string[];
}

/**
 * SKALD_PARTICIPANT_LIMITS, or the file SKALD_PARTICIPANT_LIMITS_FILE names (already read), not
 * both: each listed participant's options are the global ones with the fields it sets replaced.
 * `ratePerSecond: null` lifts a global rate limit for that participant. Problems name the
 * variable, the participant and the field.
 */
export function loadParticipantLimits(
  env: string | undefined,
  file: { path: string; text: string } | undefined,
  defaults: FlowControlOptions,
): Parsed {
  if (env && file) {
    return {
      limits: {},
      problems: ['set SKALD_PARTICIPANT_LIMITS or SKALD_PARTICIPANT_LIMITS_FILE, not both'],
    };
  }
  if (file) return parse(`SKALD_PARTICIPANT_LIMITS_FILE ${file.path}`, file.text, defaults);
  return env ? parse('SKALD_PARTICIPANT_LIMITS', env, defaults) : { limits: {}, problems: [] };
}

function parse(origin: string, text: string, defaults: FlowControlOptions): Parsed {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { limits: {}, problems: [`${origin} is not JSON (${(error as Error).message})`] };
  }
  if (!isObject(parsed)) {
    return {
      limits: {},
      problems: [
        `${origin} must be a JSON object keyed by participant name, e.g. {"cars":{"maxInFlight":4,"ratePerSecond":20}}`,
      ],
    };
  }
  const limits: Record<string, FlowControlOptions> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    const where = `${origin}: participant "${name}"`;
    if (!PARTICIPANT_NAME.test(name)) {
      problems.push(`${where}: a name may contain only letters, digits, ".", "_" and "-"`);
      continue;
    }
    const own = participantLimits(value, where, defaults);
    problems.push(...own.problems);
    if (own.problems.length === 0) limits[name] = own.options;
  }
  return { limits, problems };
}

function participantLimits(value: unknown, where: string, defaults: FlowControlOptions) {
  const problems: string[] = [];
  if (!isObject(value)) {
    return { options: defaults, problems: [`${where} must be an object of limits`] };
  }
  problems.push(...unknownFields(value, TOP_FIELDS, where));
  const breaker = value.breaker ?? {};
  if (!isObject(breaker)) problems.push(`${where}: breaker must be an object`);
  else problems.push(...unknownFields(breaker, BREAKER_FIELDS, `${where}: breaker`));
  const read = (limit: Limit, from: Record<string, unknown>, field: string): number | undefined => {
    const given = from[limit];
    if (given === undefined) return undefined;
    const [min, max] = FLOW_LIMIT_RANGES[limit];
    if (typeof given === 'number' && Number.isInteger(given) && given >= min && given <= max) {
      return given;
    }
    problems.push(`${where}: ${field} must be an integer between ${min} and ${max}`);
    return undefined;
  };
  const nested = isObject(breaker) ? breaker : {};
  const options: FlowControlOptions = {
    ...defaults,
    maxInFlight: read('maxInFlight', value, 'maxInFlight') ?? defaults.maxInFlight,
    retriesPerSecond:
      read('retriesPerSecond', value, 'retriesPerSecond') ?? defaults.retriesPerSecond,
    ratePerSecond:
      value.ratePerSecond === null
        ? null
        : (read('ratePerSecond', value, 'ratePerSecond') ?? defaults.ratePerSecond),
    failureThreshold:
      read('failureThreshold', nested, 'breaker.failureThreshold') ?? defaults.failureThreshold,
    openMs: read('openMs', nested, 'breaker.openMs') ?? defaults.openMs,
    halfOpenProbes:
      read('halfOpenProbes', nested, 'breaker.halfOpenProbes') ?? defaults.halfOpenProbes,
  };
  return { options, problems };
}

function unknownFields(value: Record<string, unknown>, known: readonly string[], where: string) {
  return Object.keys(value)
    .filter((field) => !known.includes(field))
    .map((field) => `${where}: unknown field "${field}" (known: ${known.join(', ')})`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
