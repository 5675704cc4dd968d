// Console sessions, stateless so that any orchestrator instance behind a load balancer accepts
// them: the cookie names the API key and an expiry, signed with HMAC-SHA256 keyed by that key's
// own digest. No secret beyond the configured keys is needed, the key's secret is never in the
// cookie, and removing or rotating a key ends its sessions. See docs/adr/012-console.md.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ANONYMOUS_ACTOR, API_SCOPES, type ApiAccess, type ApiScope } from '../auth/api-keys';

export const SESSION_COOKIE = 'skald_console';
/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** The cookie of an open console (no keys configured): a random value, only to bind CSRF tokens. */
const OPEN_PREFIX = 'open.';

/** Who is looking at the console, what they may do, and the token their forms must carry. */
export interface Viewer {
  name: string;
  scopes: readonly ApiScope[];
  csrfToken: string;
  /** False when no keys are configured: there is nothing to sign in or out of. */
  signedIn: boolean;
}

const mac = (key: Buffer, text: string) =>
  createHmac('sha256', key).update(text).digest('base64url');

/**
 * The CSRF token of a session: derived from the HTTP-only cookie, which a page of another site
 * can neither read nor send (SameSite=Strict), so it cannot forge the token either.
 */
const csrfTokenOf = (cookie: string) =>
  createHash('sha256').update(`skald-console-csrf:${cookie}`).digest('base64url');

export const hasScope = (viewer: Viewer, scope: ApiScope) =>
  viewer.scopes.includes(scope) || viewer.scopes.includes('admin');

/** Issues and checks the console's session cookies against the configured API keys. */
export class ConsoleSessions {
  constructor(
    private readonly access: ApiAccess,
    private readonly now: () => number = Date.now,
  ) {}

  get open(): boolean {
    return this.access.open;
  }

  /** The cookie for a sign-in with `secret`, or undefined when no key has that secret. */
  signIn(secret: string): string | undefined {
    let name: string;
    try {
      name = this.access.authorize(`Bearer ${secret}`, 'read', 'signing in to the console');
    } catch {
      // a key without `read` cannot see any page: refused like an unknown one
      return undefined;
    }
    const key = this.access.keys.find((k) => k.name === name)!;
    const expires = this.now() + SESSION_TTL_MS;
    return `v1.${name}.${expires}.${mac(key.digest, `console-session:${name}:${expires}`)}`;
  }

  /** A fresh cookie for an open console. */
  openCookie(): string {
    return OPEN_PREFIX + randomBytes(18).toString('base64url');
  }

  /** The viewer a cookie belongs to, or undefined when it is missing, forged, expired or its key is gone. */
  viewer(cookie: string | undefined): Viewer | undefined {
    if (!cookie) return undefined;
    if (this.open)
      return cookie.startsWith(OPEN_PREFIX)
        ? {
            name: ANONYMOUS_ACTOR,
            scopes: API_SCOPES,
            csrfToken: csrfTokenOf(cookie),
            signedIn: false,
          }
        : undefined;
    const [version, name, expires, signature, ...rest] = cookie.split('.');
    if (version !== 'v1' || rest.length > 0 || !signature || !(Number(expires) > this.now()))
      return undefined;
    const key = this.access.keys.find((k) => k.name === name);
    if (!key) return undefined;
    const expected = Buffer.from(mac(key.digest, `console-session:${name}:${expires}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return { name, scopes: key.scopes, csrfToken: csrfTokenOf(cookie), signedIn: true };
  }

  /** Whether a form's token is the session's own (constant time). */
  static csrfMatches(viewer: Viewer, token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const expected = Buffer.from(viewer.csrfToken);
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
