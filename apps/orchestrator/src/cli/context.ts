import type { Command } from 'commander';
import { ApiClient, CliError, EXIT } from './api-client';

/** What every command gets: the API, and how to print its answer. */
export interface CliContext {
  api: ApiClient;
  /** Prints `value` as JSON with --json, else what `human` makes of it. */
  print<T>(value: T, human: (value: T) => string): void;
}

/** Wraps a command's action: builds its context from the global options. */
export function withContext<A extends unknown[]>(
  action: (ctx: CliContext, ...args: A) => Promise<void>,
): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    const command = args[args.length - 1] as Command;
    const options = command.optsWithGlobals<{ url: string; apiKey?: string; json?: boolean }>();
    const ctx: CliContext = {
      api: new ApiClient({ url: options.url, apiKey: options.apiKey }),
      print: (value, human) =>
        process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : human(value)),
    };
    await action(ctx, ...(args.slice(0, -1) as A));
  };
}

/** A duration such as `30s`, `15m`, `2h` or `7d`, in milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(value);
  if (!match) {
    throw new CliError(
      'USAGE',
      `${flag} takes a duration such as 30s, 15m, 2h or 7d, not "${value}"`,
      EXIT.usage,
    );
  }
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's'];
  return Number(match[1]) * unit;
}

/** A JSON value given inline or as `@path` to a file. */
export async function jsonArgument(flag: string, value: string): Promise<unknown> {
  const text = value.startsWith('@')
    ? await import('node:fs/promises').then((fs) => fs.readFile(value.slice(1), 'utf8'))
    : value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError('USAGE', `${flag} is not JSON: ${(error as Error).message}`, EXIT.usage);
  }
}
