// The frame of every console page: navigation, who is signed in, the stylesheet and htmx.
import { html, type Html } from '../html';
import type { Viewer } from '../console-session';

export const CONSOLE_NAV = [
  ['/console', 'Overview'],
  ['/console/sagas', 'Sagas'],
  ['/console/participants', 'Participants'],
  ['/console/transactions', '2PC'],
  ['/console/definitions', 'Definitions'],
] as const;

export interface PageOptions {
  title: string;
  /** Undefined on the sign-in page and on errors before sign-in. */
  viewer?: Viewer;
  /** The nav entry of this page. */
  section?: (typeof CONSOLE_NAV)[number][0];
  body: Html;
}

export function page({ title, viewer, section, body }: PageOptions): Html {
  const nav = CONSOLE_NAV.map(
    ([href, label]) =>
      html`<a href="${href}" ${href === section ? html`aria-current="page"` : ''}>${label}</a>`,
  );
  // htmx sends the session's CSRF token with every request it makes (the forms carry it too)
  const headers = viewer ? JSON.stringify({ 'x-csrf-token': viewer.csrfToken }) : '{}';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Skald console</title>
        <link rel="stylesheet" href="/console/static/console.css" />
        <script src="/console/static/htmx.min.js" defer></script>
      </head>
      <body hx-headers="${headers}">
        <header class="top">
          <span class="brand">Skald</span>
          <nav aria-label="console">${viewer ? nav : ''}</nav>
          ${viewer && whoIsSignedIn(viewer)}
        </header>
        <main id="main">${body}</main>
      </body>
    </html>`;
}

function whoIsSignedIn(viewer: Viewer): Html {
  if (!viewer.signedIn) return html`<span class="who">open console (no API keys configured)</span>`;
  return html`<span class="who"
    >signed in as <strong>${viewer.name}</strong>
    <span>(${viewer.scopes.join('+')})</span>
    <form method="post" action="/console/logout">
      <input type="hidden" name="csrf" value="${viewer.csrfToken}" />
      <button type="submit">Sign out</button>
    </form></span
  >`;
}

/** The hidden field every console form carries. */
export const csrfField = (viewer: Viewer) =>
  html`<input type="hidden" name="csrf" value="${viewer.csrfToken}" />`;

/**
 * A region that htmx refreshes every 5 s (or `everySeconds`) by re-requesting the page's own URL
 * (filters included) and swapping in only this region, so the reader's place and scroll stay put.
 */
export const live = (id: string, url: string, content: Html, everySeconds = 5) =>
  html`<div
    id="${id}"
    hx-get="${url}"
    hx-trigger="every ${everySeconds}s"
    hx-select="#${id}"
    hx-swap="outerHTML"
  >
    ${content}
  </div>`;

/** A clear message on the page in place of what could not be shown. */
export const problem = (message: string) =>
  html`<div class="problem" role="alert">${message}</div>`;
