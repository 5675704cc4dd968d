// Calls an orchestrator over HTTP and keeps every answer (method, route template, status, body),
// to check each one against the OpenAPI document afterwards.
import type { OpenAPIObject } from '@nestjs/swagger';
import { DocumentSchemas, mediaTypeOf, operationsOf, type Operation } from './openapi-schemas';

export interface RecordedResponse {
  method: string;
  /** As called, e.g. `/v1/sagas/0b6f…?limit=2`. */
  url: string;
  status: number;
  contentType: string;
  body: unknown;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

export class ResponseRecorder {
  readonly responses: RecordedResponse[] = [];

  constructor(
    private readonly baseUrl: () => string,
    /** Sent as `Authorization: Bearer` unless the call brings its own header. */
    private readonly apiKey: string,
  ) {}

  async call<T = unknown>(method: string, url: string, options: CallOptions = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}` };
    for (const [name, value] of Object.entries(options.headers ?? {}))
      headers[name.toLowerCase()] = value;
    const { body } = options;
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${this.baseUrl()}${url}`, {
      method,
      headers,
      body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
    });
    const contentType = res.headers.get('content-type') ?? '';
    const text = await res.text();
    const parsed: unknown =
      mediaTypeOf(contentType) === 'application/json' ? JSON.parse(text) : text;
    this.responses.push({ method, url, status: res.status, contentType, body: parsed });
    return { status: res.status, body: parsed as T };
  }
}

/** The operation a call went to: literal path segments win over `{param}` ones. */
function routeOf(operations: Operation[], method: string, url: string): Operation | undefined {
  const path = url.split('?')[0];
  const matching = operations.filter(
    (o) =>
      o.method === method.toLowerCase() &&
      new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  );
  const params = (o: Operation) => (o.path.match(/\{/g) ?? []).length;
  return matching.sort((a, b) => params(a) - params(b))[0];
}

export interface ResponseCheck {
  /** `GET /v1/sagas/{id}` and the statuses it answered. */
  statusesByOperation: Map<string, Set<number>>;
  /** One line per response the document does not describe, or that does not match its schema. */
  problems: string[];
}

/** Each recorded response against the schema the document gives for its operation and status. */
export function checkResponses(
  document: OpenAPIObject,
  responses: readonly RecordedResponse[],
): ResponseCheck {
  const schemas = new DocumentSchemas(document);
  const operations = operationsOf(document);
  const statusesByOperation = new Map(
    operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, new Set<number>()]),
  );
  const problems: string[] = [];
  for (const r of responses) {
    const call = `${r.method} ${r.url} → ${r.status}`;
    const route = routeOf(operations, r.method, r.url);
    if (!route) {
      problems.push(`${call}: no operation in the document`);
      continue;
    }
    statusesByOperation.get(`${route.method.toUpperCase()} ${route.path}`)!.add(r.status);
    const response = route.operation.responses[String(r.status)];
    const media = response && !('$ref' in response) ? response.content : undefined;
    const schema = media?.[mediaTypeOf(r.contentType)]?.schema;
    if (!schema) {
      problems.push(`${call}: no schema for ${r.status} ${mediaTypeOf(r.contentType)}`);
      continue;
    }
    for (const p of schemas.problems(schema, r.body))
      problems.push(`${call}: ${p} in ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  return { statusesByOperation, problems };
}
