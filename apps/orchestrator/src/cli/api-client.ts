// The CLI's one way to the orchestrator: its REST API (docs/rest-api.md), with the API key of
// SKALD_API_KEY or --api-key. Every failure becomes a CliError carrying the exit code it means.
import { SkaldError } from '@skald/protocol';

/** What the exit codes mean (docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** The orchestrator refused or failed the request, or a check found problems. */
  refused: 1,
  /** The command line is wrong. */
  usage: 2,
  /** The orchestrator could not be reached. */
  unreachable: 3,
} as const;

export class CliError extends SkaldError {
  readonly retryable: boolean;

  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.retryable = exitCode === EXIT.unreachable;
  }
}

export interface ApiOptions {
  url: string;
  apiKey?: string;
}

export class ApiClient {
  constructor(private readonly options: ApiOptions) {}

  get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const params = new URLSearchParams(
      Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const search = params.size > 0 ? `?${params}` : '';
    return this.request<T>('GET', `${path}${search}`);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.options.url.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      // fetch hides the socket's error (ECONNREFUSED, ENOTFOUND, …) in its cause
      const cause = (error as { cause?: Error & { code?: string; errors?: { code?: string }[] } })
        .cause;
      const why = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? String(error);
      throw new CliError(
        'ORCHESTRATOR_UNREACHABLE',
        `cannot reach the orchestrator at ${this.options.url} (${why}); set SKALD_URL or --url`,
        EXIT.unreachable,
      );
    }
    const text = await res.text();
    const parsed = parse(text);
    if (res.ok) return parsed as T;
    const message =
      (parsed as { message?: unknown } | undefined)?.message ?? (text || res.statusText);
    const hint = res.status === 401 ? ' (set SKALD_API_KEY or --api-key)' : '';
    throw new CliError(
      `HTTP_${res.status}`,
      `${method} ${path}: ${res.status} ${String(message)}${hint}`,
      EXIT.refused,
    );
  }
}

function parse(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
