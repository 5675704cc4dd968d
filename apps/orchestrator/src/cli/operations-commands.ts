// `skald bulk|participants|transactions|definitions …` (docs/cli.md).
import { Argument, Command, Option } from 'commander';
import { CliError, EXIT } from './api-client';
import { withContext } from './context';
import { ago, fields, table, type Row } from './output';
import { addSagaFilterOptions, sagaFilter, type SagaFilterOptions } from './saga-filter';

const BULK_ACTIONS = ['cancel', 'retry', 'resume'];

interface BulkJob extends Row {
  id: string;
  status: string;
  total?: number;
  done?: number;
  succeeded?: number;
  failed?: number;
}

const showJob = (job: BulkJob) => fields(job);

export function bulkCommand(): Command {
  const bulk = new Command('bulk').description('act on every saga a filter matches');
  addSagaFilterOptions(
    bulk
      .command('run', { isDefault: true })
      .description('start a bulk action (or count what it would touch, with --dry-run)')
      .addArgument(new Argument('<action>', BULK_ACTIONS.join(', ')).choices(BULK_ACTIONS)),
  )
    .option('--dry-run', 'count and show a sample; change nothing')
    .option('--reason <reason>', 'recorded in each saga’s history')
    .action(
      withContext(
        async (
          ctx,
          action: string,
          options: SagaFilterOptions & { dryRun?: boolean; reason?: string },
        ) => {
          const filter = sagaFilter(options);
          if (Object.keys(filter).length === 0) {
            throw new CliError(
              'USAGE',
              'bulk needs at least one filter (e.g. --status failed); it never acts on every saga',
              EXIT.usage,
            );
          }
          const answer = await ctx.api.post<Row>('/v1/sagas/bulk', {
            action,
            filter,
            dryRun: options.dryRun ?? false,
            reason: options.reason,
          });
          ctx.print(answer, (a) =>
            options.dryRun
              ? `${String(a.count)} sagas would be affected\n${table((a.sample as Row[]) ?? [], ['id', 'type', 'status'])}`
              : `${fields(a)}follow it: skald bulk status ${String(a.id)}\n`,
          );
        },
      ),
    );
  bulk
    .command('status')
    .description("a bulk job's progress and failures")
    .argument('<job-id>')
    .action(
      withContext(async (ctx, id: string) =>
        ctx.print(await ctx.api.get<BulkJob>(`/v1/bulk-jobs/${id}`), showJob),
      ),
    );
  return bulk;
}

const BREAKER_STATES = ['open', 'closed'];

export function participantsCommand(): Command {
  const participants = new Command('participants').description(
    'participants: breaker, commands in flight and queued, limits; open or close a breaker by hand',
  );
  participants
    .command('breaker')
    .description(
      "open or close a participant's circuit breaker by hand; opened by hand, it stays open until closed by hand",
    )
    .argument('<name>', 'the participant')
    .addArgument(new Argument('<state>', BREAKER_STATES.join(' or ')).choices(BREAKER_STATES))
    .requiredOption('--reason <reason>', 'why (recorded with your key name, and logged)')
    .addHelpText(
      'after',
      '\nExample:\n  skald participants breaker hotels open --reason "hotels maintenance, OPS-7"',
    )
    .action(
      withContext(async (ctx, name: string, state: string, options: { reason: string }) => {
        const participant = await ctx.api.post<Row>(
          `/v1/participants/${encodeURIComponent(name)}/breaker`,
          { state, reason: options.reason },
        );
        ctx.print(participant, (p) => {
          const breaker = p.breaker as Row;
          const manual = breaker.manual as Row;
          return fields({
            name: p.name,
            breaker: breaker.state,
            by: manual.actor,
            reason: manual.reason,
            at: manual.at,
          });
        });
      }),
    );
  participants
    .command('list', { isDefault: true })
    .description('every participant commands were sent to')
    .action(
      withContext(async (ctx) => {
        const { items } = await ctx.api.get<{ items: Row[] }>('/v1/participants');
        ctx.print(items, (list) =>
          table(
            list.map((p) => ({
              name: p.name,
              breaker: breakerColumn(p.breaker as Row),
              inFlight: `${String(p.inFlight)}/${String(p.maxInFlight)}`,
              queued: p.queued,
              rate: ((p.limits as Row | undefined)?.ratePerSecond as number | null) ?? '-',
              held: (p.held as Row | undefined)?.error,
            })),
            ['name', 'breaker', 'inFlight', 'queued', 'rate', 'held'],
          ),
        );
      }),
    );
  return participants;
}

/** The breaker's state, and `(by hand)` while an operator holds it open. */
function breakerColumn(breaker: Row): string {
  const manual = breaker.manual as Row | undefined;
  const byHand = manual?.state === 'open' && breaker.state === 'open';
  return `${String(breaker.state)}${byHand ? ' (by hand)' : ''}`;
}

export function transactionsCommand(): Command {
  const transactions = new Command('transactions').description('2PC transactions');
  transactions
    .command('list')
    .description('transactions, newest first')
    .addOption(new Option('--status <status>', 'e.g. preparing, committed, aborted'))
    .option('--limit <n>', 'at most this many', '50')
    .option('--cursor <cursor>')
    .action(
      withContext(async (ctx, options: { status?: string; limit: string; cursor?: string }) => {
        const page = await ctx.api.get<{ items: Row[]; nextCursor: string | null }>(
          '/v1/transactions',
          { status: options.status, limit: options.limit, cursor: options.cursor },
        );
        ctx.print(
          page,
          (p) =>
            table(
              p.items.map((t) => ({
                id: t.id,
                status: t.status,
                decision: t.decision,
                participants: (t.participants as Row[]).length,
                started: ago(t.createdAt as string),
              })),
              ['id', 'status', 'decision', 'participants', 'started'],
            ) + (p.nextCursor ? `more: --cursor ${p.nextCursor}\n` : ''),
        );
      }),
    );
  transactions
    .command('get')
    .description('one transaction: votes, decision, acknowledgements')
    .argument('<id>')
    .action(
      withContext(async (ctx, id: string) => {
        const tx = await ctx.api.get<Row>(`/v1/transactions/${id}`);
        ctx.print(tx, (t) => {
          const { participants, ...rest } = t;
          return `${fields(rest)}\n${table(participants as Row[], ['participant', 'command', 'vote', 'acknowledged'])}`;
        });
      }),
    );
  return transactions;
}

interface DefinitionsCheck {
  ok: boolean;
  problems: Row[];
}

export function definitionsCommand(): Command {
  const definitions = new Command('definitions').description('the registered saga definitions');
  definitions
    .command('check')
    .description(
      'would the registered definitions break sagas that are not finished? (exit 1 if so)',
    )
    .action(
      withContext(async (ctx) => {
        const report = await ctx.api.get<DefinitionsCheck>('/v1/definitions/check');
        ctx.print(report, (r) =>
          r.ok
            ? 'ok: every unfinished saga has its definition, version and step\n'
            : table(r.problems, Object.keys(r.problems[0] ?? {})),
        );
        if (!report.ok) process.exitCode = EXIT.refused;
      }),
    );
  return definitions;
}
