// The console's only way to build HTML: every interpolated value is escaped unless it is already
// Html (made by this tag). No NestJS here.

/** A piece of HTML that is safe to send: its text was built by `html`, values escaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text made safe for element content and quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => ENTITIES[c]);

/** What may be interpolated: text and numbers are escaped, Html is kept, lists are joined, nothing vanishes. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  // false, null and undefined render nothing, so `${cond && html`…`}` reads naturally
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: html`<p>${untrusted}</p>` escapes `untrusted`; nested html`` stays as it is. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0];
  values.forEach((value, i) => (text += render(value) + strings[i + 1]));
  return new Html(text);
}

/** A URL path with each segment value encoded: path`/console/sagas/${id}`. */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  let text = strings[0];
  values.forEach((value, i) => (text += encodeURIComponent(String(value)) + strings[i + 1]));
  return text;
}

/** A query string of the defined, non-empty values (`?a=1&b=x`), or '' when there are none. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
