// Generated hostile Kafka records for fuzzing the consumers (fast-check): a valid record of the
// wire protocol with some headers, its value or its key replaced by what the contract forbids or
// what the code behind a decoder may choke on.
import fc from 'fast-check';

/** A Kafka record as a test produces it. */
export interface RawRecord {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer>;
}

/** What to change in a valid record; applied with applyMutation to a fresh one per run. */
export interface RecordMutation {
  headers: { name: string; value: string | Buffer | null }[];
  /** undefined: keep the record's value. */
  value?: string | Buffer | null;
  /** undefined: keep the record's key. */
  key?: string | null;
}

/** Control characters, lone surrogates, noncharacters, topic-name edge cases, numbers-as-text. */
const NASTY = [
  '',
  ' ',
  '.',
  '..',
  'a b',
  'x\u0000y',
  '\u0000',
  '\n',
  '\u007f',
  '\u0085',
  '\ud800',
  '\udfff',
  '\ufffe',
  '\u{10ffff}',
  '😀',
  '-1',
  '0',
  '9007199254740993',
  'null',
];
const NASTY_UNITS = ['a', '.', '-', '_', ' ', '/', '\u0000', '\t', '\u001f', '\u009f', '\ud800'];

/** Strings a consumer may choke on, short and long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: fc.constantFrom(...NASTY_UNITS, '\udc00', '\ufffe', 'é'), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  // longer than any header may be; printable, so only the length is wrong
  fc.string({ unit: 'grapheme-ascii', minLength: 1_025, maxLength: 6_000 }),
);

/** JSON text that parses, with strings PostgreSQL's jsonb may refuse, or nesting deep enough to hurt. */
const hostileJson: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }).map((v) => JSON.stringify(v)),
  // a failure or error body, so a reply gets past its shape check with hostile strings inside
  fc.record({ code: hostileString, message: hostileString }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 2_000, max: 50_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
);

const hostileValue: fc.Arbitrary<string | Buffer | null> = fc.oneof(
  { weight: 4, arbitrary: hostileJson },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** undefined (keep what the record has) in `keep` of `keep + 1` cases. */
const sometimes = <T>(change: fc.Arbitrary<T>, keep: number) =>
  fc.oneof({ weight: keep, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: change });

const hostileHeaderValue: fc.Arbitrary<string | Buffer | null> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant(null) },
);

/**
 * Mutations of a record whose headers are `headerNames` (and a made-up header now and then): at
 * least one change; headers set to a hostile value or removed (null), the value or key replaced.
 * About a third change the value alone, so the record still decodes and reaches the code behind.
 */
export function recordMutation(headerNames: string[]): fc.Arbitrary<RecordMutation> {
  const name = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...headerNames) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }) },
  );
  const headerChanges = fc.array(fc.record({ name, value: hostileHeaderValue }), {
    minLength: 1,
    maxLength: 3,
  });
  return fc
    .record({
      headers: sometimes(headerChanges, 1),
      value: sometimes(hostileValue, 1),
      key: sometimes(fc.oneof(fc.constant(null), hostileString), 4),
    })
    .filter((m) => m.headers !== undefined || m.value !== undefined || m.key !== undefined)
    .map((m) => ({ ...m, headers: m.headers ?? [] }));
}

export function applyMutation(record: RawRecord, mutation: RecordMutation): RawRecord {
  const headers = { ...record.headers };
  for (const { name, value } of mutation.headers) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  return {
    key: mutation.key === undefined ? record.key : mutation.key,
    value: mutation.value === undefined ? record.value : mutation.value,
    headers,
  };
}
