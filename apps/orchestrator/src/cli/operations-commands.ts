// `skald bulk|participants|transactions|definitions …` (docs/cli.md).
import { Argument, Command, Option } from 'commander';
import { CliError, EXIT } from './api-client';
import { withContext, type CliContext } from './context';
import { ago, fields, table, type Row } from './output';
import { addSagaFilterOptions, sagaFilter, type SagaFilterOptions } from './saga-filter';

const BULK_ACTIONS = ['cancel', 'retry', 'resume'];
/** How often --wait asks for a job's progress. */
const WAIT_POLL_MS = 1_000;

interface BulkResult extends Row {
  sagaId: string;
  outcome: string;
  error?: { code: string; message: string };
}

interface BulkJob extends Row {
  id: string;
  status: string;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  results?: BulkResult[];
}

/** The job's fields, then its failures (status asks only for those) as a table. */
const showJob = (job: BulkJob) => {
  const { results = [], ...rest } = job;
  const failures = results.filter((r) => r.outcome === 'failed');
  if (failures.length === 0) return fields(rest);
  const rows = failures.map((r) => ({
    saga: r.sagaId,
    code: r.error?.code,
    message: r.error?.message,
  }));
  return `${fields(rest)}failures:\n${table(rows, ['saga', 'code', 'message'])}`;
};

/** The job with its failures; with `wait`, once it has ended (progress on stderr meanwhile). */
async function readJob(ctx: CliContext, id: string, wait: boolean): Promise<BulkJob> {
  const read = () =>
    ctx.api.get<BulkJob>(`/v1/bulk-jobs/${id}`, { outcome: 'failed', limit: '1000' });
  let job = await read();
  while (wait && job.status === 'running') {
    if (process.stderr.isTTY)
      process.stderr.write(`\r${job.done}/${job.total} done, ${job.failed} failed`);
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    job = await read();
  }
  if (wait && process.stderr.isTTY) process.stderr.write('\n');
  return job;
}

/** Prints the job; after --wait, exit 1 unless it completed without a failure. */
async function reportJob(ctx: CliContext, id: string, wait: boolean): Promise<void> {
  const job = await readJob(ctx, id, wait);
  ctx.print(job, showJob);
  if (wait && (job.status !== 'completed' || job.failed > 0)) process.exitCode = EXIT.refused;
}

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
    .option('--wait', 'follow the job until it ends (exit 1 if any saga failed)')
    .addHelpText(
      'after',
      '\nExample:\n  skald bulk retry --status failed --error-code ROOMS_DOWN --dry-run',
    )
    .action(
      withContext(
        async (
          ctx,
          action: string,
          options: SagaFilterOptions & { dryRun?: boolean; reason?: string; wait?: boolean },
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
          if (options.wait && !options.dryRun) return reportJob(ctx, String(answer.id), true);
          ctx.print(answer, (a) =>
            options.dryRun
              ? `${String(a.count)} sagas would be affected\n${table((a.sample as Row[]) ?? [], ['id', 'type', 'status'])}`
              : `${fields(a)}follow it: skald bulk status ${String(a.id)} --wait\n`,
          );
        },
      ),
    );
  bulk
    .command('status')
    .description("a bulk job's progress and failures")
    .argument('<job-id>')
    .option('--wait', 'follow the job until it ends (exit 1 if any saga failed)')
    .action(
      withContext((ctx, id: string, options: { wait?: boolean }) =>
        reportJob(ctx, id, options.wait ?? false),
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
  unfinishedSagas: number;
  affectedSagas: number;
  problems: Row[];
}

export function definitionsCommand(): Command {
  const definitions = new Command('definitions').description('the registered saga definitions');
  definitions
    .command('check')
    .description(
      'would the registered definitions break sagas that are not finished? (exit 1 if so)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  skald definitions check --json   # exit 0: nothing breaks; 1: problems listed\n',
    )
    .action(
      withContext(async (ctx) => {
        const report = await ctx.api.get<DefinitionsCheck>('/v1/definitions/check');
        ctx.print(report, (r) =>
          r.ok
            ? `ok: the registered definitions fit all ${r.unfinishedSagas} unfinished sagas\n`
            : `${r.affectedSagas} of ${r.unfinishedSagas} unfinished sagas would break\n` +
              table(r.problems, ['kind', 'type', 'version', 'step', 'sagas', 'message']),
        );
        if (!report.ok) process.exitCode = EXIT.refused;
      }),
    );
  return definitions;
}
