// `skald sagas …`: find, inspect, start and repair sagas (docs/cli.md).
import { Command } from 'commander';
import { jsonArgument, withContext } from './context';
import { ago, fields, table, type Row } from './output';
import { addSagaFilterOptions, sagaFilter, type SagaFilterOptions } from './saga-filter';

interface Saga extends Row {
  id: string;
  type: string;
  version: number;
  status: string;
  waitReason?: string;
  createdAt: string;
  error?: { code: string; message: string; step?: string };
  steps: { name: string; status: string; attempts: number; waiting?: { reason: string } }[];
}

const sagaRow = (s: Saga): Row => ({
  id: s.id,
  type: `${s.type} v${s.version}`,
  status: s.status,
  started: ago(s.createdAt),
  error: s.error ? `${s.error.code}: ${s.error.message}` : undefined,
});

function showSaga(s: Saga): string {
  const head = fields({
    id: s.id,
    type: `${s.type} v${s.version}`,
    status: s.status,
    waiting: s.waitReason,
    started: `${s.createdAt} (${ago(s.createdAt)})`,
    error: s.error ? `${s.error.code}: ${s.error.message}` : undefined,
  });
  const steps = s.steps.map((step) => ({
    step: step.name,
    status: step.status,
    attempts: step.attempts,
    waiting: step.waiting?.reason,
  }));
  return `${head}\n${table(steps, ['step', 'status', 'attempts', 'waiting'])}`;
}

/** An operator action: POST it, then show the saga as the orchestrator answered. */
function action(
  path: (id: string, ...rest: string[]) => string,
  body: (o: Row) => Row = () => ({}),
) {
  return withContext<[string, ...unknown[]]>(async (ctx, id, ...rest) => {
    const strings = rest.filter((r): r is string => typeof r === 'string');
    const options = (rest.find((r) => typeof r === 'object') ?? {}) as Row;
    const saga = await ctx.api.post<Saga>(path(id, ...strings), body(options));
    ctx.print(saga, showSaga);
  });
}

export function sagasCommand(): Command {
  const sagas = new Command('sagas').description('find, inspect, start and repair sagas');

  addSagaFilterOptions(sagas.command('list').description('sagas, newest first'))
    .option('--limit <n>', 'at most this many (1-500)', '50')
    .option('--cursor <cursor>', "the previous page's nextCursor")
    .action(
      withContext(async (ctx, options: SagaFilterOptions & { limit: string; cursor?: string }) => {
        const page = await ctx.api.get<{ items: Saga[]; nextCursor: string | null }>('/v1/sagas', {
          ...sagaFilter(options),
          limit: options.limit,
          cursor: options.cursor,
        });
        ctx.print(page, (p) => {
          const more = p.nextCursor ? `more: --cursor ${p.nextCursor}\n` : '';
          return table(p.items.map(sagaRow), ['id', 'type', 'status', 'started', 'error']) + more;
        });
      }),
    );

  sagas
    .command('get')
    .description('one saga: status, steps, error')
    .argument('<id>')
    .action(
      withContext(async (ctx, id: string) =>
        ctx.print(await ctx.api.get<Saga>(`/v1/sagas/${id}`), showSaga),
      ),
    );

  sagas
    .command('history')
    .description("a saga's transitions, in order")
    .argument('<id>')
    .action(
      withContext(async (ctx, id: string) => {
        const history = await ctx.api.get<Row[]>(`/v1/sagas/${id}/history`);
        ctx.print(history, (h) =>
          table(
            h.map((e) => ({
              seq: e.seq,
              at: e.at,
              type: e.type,
              step: e.step,
              details: e.details,
            })),
            ['seq', 'at', 'type', 'step', 'details'],
          ),
        );
      }),
    );

  sagas
    .command('start')
    .description('start a saga')
    .argument('<type>')
    .option('--input <json>', 'the input, as JSON or @file', '{}')
    .option('--idempotency-key <key>', 'the same key and request give the same saga')
    .action(
      withContext(
        async (ctx, type: string, options: { input: string; idempotencyKey?: string }) => {
          const input = await jsonArgument('--input', options.input);
          const saga = await ctx.api.post<Saga>('/v1/sagas', {
            type,
            input,
            idempotencyKey: options.idempotencyKey,
          });
          ctx.print(saga, showSaga);
        },
      ),
    );

  sagas
    .command('cancel')
    .description('stop forward progress and compensate')
    .argument('<id>')
    .option('--reason <reason>')
    .action(
      action(
        (id) => `/v1/sagas/${id}/cancel`,
        (o) => ({ reason: o.reason }),
      ),
    );

  sagas
    .command('retry')
    .description("resume a failed saga's compensation (or its failed step after the pivot)")
    .argument('<id>')
    .action(action((id) => `/v1/sagas/${id}/retry`));

  sagas
    .command('skip-compensation')
    .description('mark a failed compensation as done by hand')
    .argument('<id>')
    .argument('<step>')
    .requiredOption('--reason <reason>', 'why, for the history')
    .action(
      action(
        (id, step) => `/v1/sagas/${id}/steps/${encodeURIComponent(step)}/skip-compensation`,
        (o) => ({ reason: o.reason }),
      ),
    );

  sagas
    .command('pause')
    .description('hold a running saga where it is (replies still apply; it moves on once resumed)')
    .argument('<id>')
    .requiredOption('--reason <reason>', 'why, for the history')
    .action(
      action(
        (id) => `/v1/sagas/${id}/pause`,
        (o) => ({ reason: o.reason }),
      ),
    );

  sagas
    .command('resume')
    .description('let a paused saga go on (its paused step runs again from attempt 1)')
    .argument('<id>')
    .action(action((id) => `/v1/sagas/${id}/resume`));

  sagas
    .command('skip-step')
    .description('skip a paused step whose definition sets skippable, and resume the saga')
    .argument('<id>')
    .argument('<step>')
    .requiredOption('--reason <reason>', 'why, for the history')
    .action(
      action(
        (id, step) => `/v1/sagas/${id}/steps/${encodeURIComponent(step)}/skip`,
        (o) => ({ reason: o.reason }),
      ),
    );

  return sagas;
}
