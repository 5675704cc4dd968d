// Who a console request comes from, and the checks every page and every action makes: a valid
// session (or an open console), and for a POST the session's CSRF token and the action's scope.
import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { API_ACCESS } from '../auth/api-key.guard';
import type { ApiAccess, ApiScope } from '../auth/api-keys';
import {
  ConsoleSessions,
  hasScope,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  type Viewer,
} from './console-session';

/** No valid session: pages redirect to the sign-in page. */
export class ConsoleSignInRequired extends Error {
  override readonly name = 'ConsoleSignInRequired';
}

/** The session is valid but may not do this (scope, or a missing or wrong CSRF token): a 403 page. */
export class ConsoleForbidden extends Error {
  override readonly name = 'ConsoleForbidden';
}

/** The value of one cookie of the request's Cookie header. */
export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name)
      return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

@Injectable()
export class ConsoleAuth {
  readonly sessions: ConsoleSessions;

  constructor(@Inject(API_ACCESS) access: ApiAccess) {
    this.sessions = new ConsoleSessions(access);
  }

  /** Sets the session cookie: HTTP-only, SameSite=Strict, Secure when the request came over TLS. */
  setCookie(req: Request, res: Response, value: string): void {
    res.cookie(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/console',
      maxAge: SESSION_TTL_MS,
    });
  }

  clearCookie(res: Response): void {
    res.clearCookie(SESSION_COOKIE, { path: '/console' });
  }

  /** The viewer of a page; an open console hands out its cookie on the first visit. */
  viewer(req: Request, res: Response): Viewer {
    const cookie = cookieValue(req, SESSION_COOKIE);
    const viewer = this.sessions.viewer(cookie);
    if (viewer) return viewer;
    if (!this.sessions.open) throw new ConsoleSignInRequired('sign in to use the console');
    const fresh = this.sessions.openCookie();
    this.setCookie(req, res, fresh);
    return this.sessions.viewer(fresh)!;
  }

  /** The viewer of a POST, checked for the CSRF token of its session and for `scope`. */
  authorize(req: Request, scope: ApiScope): Viewer {
    const viewer = this.sessions.viewer(cookieValue(req, SESSION_COOKIE));
    if (!viewer) throw new ConsoleSignInRequired('sign in to use the console');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = body.csrf ?? req.headers['x-csrf-token'];
    if (!ConsoleSessions.csrfMatches(viewer, token))
      throw new ConsoleForbidden(
        'this form is not from your console session (it is stale or forged): reload the page and try again',
      );
    if (!hasScope(viewer, scope))
      throw new ConsoleForbidden(
        `your key ${viewer.name} lacks the scope "${scope}" that this action needs (it has ${viewer.scopes.join('+')})`,
      );
    return viewer;
  }
}
