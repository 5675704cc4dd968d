// API keys: what SKALD_API_KEYS / SKALD_API_KEYS_FILE say (`name:scopes:secret`), and the check of
// an `Authorization: Bearer <secret>` header against them. Only SHA-256 digests of the secrets are
// kept after parsing; a secret is never part of a message, a log line or an error.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiKeyRequiredError, ApiKeyScopeError } from './errors';

export const API_SCOPES = ['read', 'start', 'operate', 'admin'] as const;
/** read: every GET; start: start sagas and 2PC transactions; operate: operator actions; admin: all. */
export type ApiScope = (typeof API_SCOPES)[number];

/** The actor recorded in the saga history when no keys are configured (the API is open). */
export const ANONYMOUS_ACTOR = 'anonymous';

/** One configured key: its secret only as a SHA-256 digest. */
export interface ApiKey {
  readonly name: string;
  readonly scopes: readonly ApiScope[];
  readonly digest: Buffer;
}

/** A key as written in the configuration, secret included (the parser's output; npm start reads it). */
export interface ApiKeyEntry {
  readonly name: string;
  readonly scopes: readonly ApiScope[];
  readonly secret: string;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** Visible ASCII but `,` (the separator of SKALD_API_KEYS): what a header carries unchanged. */
const SECRET = /^[\x21-\x2b\x2d-\x7e]+$/;
export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 512;
/** Longer Authorization headers are refused before any hashing. */
const MAX_HEADER_LENGTH = MAX_SECRET_LENGTH + 'Bearer '.length + 64;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Parses one key, `name:scopes:secret`; `where` names it in problems (e.g. `SKALD_API_KEYS entry 2`).
 * Problems name the key and never contain its secret.
 */
function parseEntry(text: string, where: string): ApiKeyEntry | string {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (second < 0) return `${where} must look like name:scopes:secret (e.g. ops:read+operate:…)`;
  const name = text.slice(0, first);
  const scopeList = text.slice(first + 1, second);
  const secret = text.slice(second + 1);
  if (!NAME.test(name))
    return `${where}: the key name must be 1-64 letters, digits, ".", "_" or "-"`;
  const scopes = scopeList.split('+');
  const unknown = scopes.find((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined)
    return `${where} (key ${name}): unknown scope "${unknown}"; scopes are ${API_SCOPES.join(', ')}, joined by +`;
  if (secret.length === 0) return `${where} (key ${name}): the secret is empty`;
  if (secret.length < MIN_SECRET_LENGTH || secret.length > MAX_SECRET_LENGTH)
    return `${where} (key ${name}): the secret must be ${MIN_SECRET_LENGTH}-${MAX_SECRET_LENGTH} characters long`;
  if (!SECRET.test(secret))
    return `${where} (key ${name}): the secret may contain only visible ASCII characters other than ","`;
  return { name, scopes: [...new Set(scopes as ApiScope[])], secret };
}

/**
 * The keys of SKALD_API_KEYS (comma-separated) and of the SKALD_API_KEYS_FILE text (one a line;
 * blank lines and lines starting with `#` are skipped), with one problem per bad key, duplicate
 * names and duplicate secrets included.
 */
export function parseApiKeys(sources: { env?: string; file?: { path: string; text: string } }): {
  entries: ApiKeyEntry[];
  problems: string[];
} {
  const parsed: (ApiKeyEntry | string)[] = [];
  (sources.env ?? '')
    .split(',')
    .map((item) => item.trim())
    .forEach((item, i) => item && parsed.push(parseEntry(item, `SKALD_API_KEYS entry ${i + 1}`)));
  if (sources.file) {
    const { path, text } = sources.file;
    const before = parsed.length;
    text.split(/\r?\n/).forEach((line, i) => {
      const item = line.trim();
      if (item && !item.startsWith('#'))
        parsed.push(parseEntry(item, `SKALD_API_KEYS_FILE ${path} line ${i + 1}`));
    });
    if (parsed.length === before) parsed.push(`SKALD_API_KEYS_FILE ${path} holds no key`);
  }
  const problems = parsed.filter((p): p is string => typeof p === 'string');
  const entries = parsed.filter((p): p is ApiKeyEntry => typeof p !== 'string');
  const byName = new Set<string>();
  const bySecret = new Map<string, string>();
  for (const entry of entries) {
    if (byName.has(entry.name)) problems.push(`API key name ${entry.name} is used twice`);
    byName.add(entry.name);
    const digest = sha256(entry.secret).toString('hex');
    const other = bySecret.get(digest);
    if (other !== undefined)
      problems.push(`API keys ${other} and ${entry.name} have the same secret`);
    bySecret.set(digest, entry.name);
  }
  return { entries, problems };
}

/** The configured form of parsed keys: digests instead of secrets. */
export function toApiKeys(entries: readonly ApiKeyEntry[]): ApiKey[] {
  return entries.map(({ name, scopes, secret }) => ({ name, scopes, digest: sha256(secret) }));
}

export const describeKey = (key: Pick<ApiKey, 'name' | 'scopes'>) =>
  `${key.name} (${key.scopes.join('+')})`;

/** The secret of an `Authorization` header, or why there is none to check. */
function bearerSecret(header: string | undefined): string {
  if (header === undefined || header === '')
    throw new ApiKeyRequiredError('an API key is required: send Authorization: Bearer <secret>');
  if (header.length > MAX_HEADER_LENGTH)
    throw new ApiKeyRequiredError(
      `the Authorization header is longer than ${MAX_HEADER_LENGTH} characters; an API key is at most ${MAX_SECRET_LENGTH}`,
    );
  // the scheme is case-insensitive (RFC 7235): "bearer" is as good as "Bearer"
  const match = /^([A-Za-z][A-Za-z0-9._~+/-]*)(?: +(.*))?$/.exec(header);
  if (!match || match[1].toLowerCase() !== 'bearer')
    throw new ApiKeyRequiredError(
      'malformed Authorization header: expected "Bearer <secret>" (the scheme Bearer, a space, then the API key)',
    );
  const secret = (match[2] ?? '').trim();
  if (secret === '')
    throw new ApiKeyRequiredError('the Authorization header has "Bearer" but no API key after it');
  return secret;
}

/**
 * Who may call what. With no keys every call is allowed, as `anonymous`; with keys, each call
 * needs a key with the route's scope (or admin).
 */
export class ApiAccess {
  constructor(
    readonly keys: readonly ApiKey[],
    /** SKALD_PUBLIC_METRICS_AND_DOCS: /metrics and /docs answer without a key. */
    readonly publicMetricsAndDocs: boolean,
  ) {}

  get open(): boolean {
    return this.keys.length === 0;
  }

  /** The name of the caller's key, checked for `scope`; throws a 401 or 403 error otherwise. */
  authorize(header: string | undefined, scope: ApiScope, action: string): string {
    if (this.open) return ANONYMOUS_ACTOR;
    const key = this.identify(bearerSecret(header));
    if (!key) throw new ApiKeyRequiredError('unknown API key: no configured key has this secret');
    if (!key.scopes.includes(scope) && !key.scopes.includes('admin'))
      throw new ApiKeyScopeError(
        `API key ${key.name} lacks the scope "${scope}" that ${action} needs (it has ${key.scopes.join('+')})`,
      );
    return key.name;
  }

  /** Compares the digest with every key's, in constant time, without stopping at a match. */
  private identify(secret: string): ApiKey | undefined {
    const digest = sha256(secret);
    let found: ApiKey | undefined;
    for (const key of this.keys) if (timingSafeEqual(key.digest, digest)) found ??= key;
    return found;
  }
}
