// Effectively-once processing of one command against the participant's database.
// ⚠ The inbox row, the handler's own writes and the stored reply commit in ONE transaction;
// the reply is produced only after that commit. Break this and effects happen twice or get lost.
import { PROTOCOL_ERROR_CODES, type CommandEnvelope, type Outcome } from '@skald/protocol';
import { inTransaction, type OpenTransaction, type ParticipantDatabase } from './database';
import { BusinessRefusal } from './errors';

export interface Reply {
  outcome: Outcome;
  data: unknown;
}

/** What a compensation handler is told of the forward command it undoes, which ran here. */
export interface ForwardRecord {
  /** The forward command's payload. */
  request: unknown;
  /** The reply it got (the handler's result). */
  reply: unknown;
}

/**
 * Runs the handler; the result becomes `success`, a BusinessRefusal `failure`, anything else
 * `error`. A compensation is given the forward command it undoes.
 */
export type Invoke = (tx: OpenTransaction | undefined, forward?: ForwardRecord) => Promise<unknown>;

interface OperationRow {
  run: number;
  forward_state: string | null;
  forward_outcome: Outcome | null;
  forward_request: unknown;
  forward_reply: unknown;
  compensation_state: string | null;
  compensation_outcome: Outcome | null;
  compensation_reply: unknown;
}

/** What a handler's exception means on the wire. */
export function replyForError(error: unknown): Reply {
  if (error instanceof BusinessRefusal) {
    return {
      outcome: 'failure',
      data: { code: error.code, message: error.message, details: error.details },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  return {
    outcome: 'error',
    data: { code: typeof code === 'string' ? code : PROTOCOL_ERROR_CODES.handlerError, message },
  };
}

export async function runHandler(invoke: Invoke, tx?: OpenTransaction): Promise<Reply> {
  try {
    return { outcome: 'success', data: (await invoke(tx)) ?? {} };
  } catch (error) {
    return replyForError(error);
  }
}

/** At-least-once: without a database nothing is remembered, so redeliveries run the handler again. */
export function processWithoutDatabase(invoke: Invoke): Promise<Reply> {
  return runHandler(invoke);
}

/** A transient handler error: roll everything back (inbox row included) so the next attempt runs. */
export class RollBack extends Error {
  constructor(readonly reply: Reply) {
    super('roll back');
  }
}

/** Columns of the operation row the SDK writes; names are constants, never input. */
type OperationUpdate = Partial<
  Record<
    | 'run'
    | 'forward_state'
    | 'forward_outcome'
    | 'forward_request'
    | 'forward_reply'
    | 'compensation_state'
    | 'compensation_outcome'
    | 'compensation_reply',
    unknown
  >
>;

const fenced = (command: CommandEnvelope, why: string): Reply => ({
  outcome: 'failure',
  data: {
    code: PROTOCOL_ERROR_CODES.fenced,
    message: `step ${command.step} of saga ${command.sagaId} ${why}; this command is refused, not executed`,
  },
});

/**
 * Effectively-once and fenced (docs/guarantees.md, guarantees 3 and 5). Per (saga, step) the operation
 * row says what happened; a redelivered command or a later attempt of the same run gets the
 * stored reply; a compensation of a step never executed, or a fence, is recorded and answered
 * without calling the handler, and that step's command arriving afterwards is refused (FENCED).
 */
export async function processWithDatabase(
  db: ParticipantDatabase,
  participant: string,
  command: CommandEnvelope,
  invoke: Invoke,
): Promise<Reply> {
  return replyInTransaction(db, async (tx) => {
    await tx.query(
      'INSERT INTO skald_participant_inbox (participant, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [participant, command.id],
    );
    await tx.query(
      'INSERT INTO skald_participant_operation (participant, saga_id, step, run) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [participant, command.sagaId, command.step, command.run],
    );
    // concurrent deliveries of one step (a rebalance) queue here, so only one runs the handler
    const [op] = await tx.query<OperationRow>(
      `SELECT run, forward_state, forward_outcome, forward_request, forward_reply,
              compensation_state, compensation_outcome, compensation_reply
         FROM skald_participant_operation WHERE participant = $1 AND saga_id = $2 AND step = $3 FOR UPDATE`,
      [participant, command.sagaId, command.step],
    );
    const update = async (fields: OperationUpdate) => {
      const columns = Object.keys(fields);
      await tx.query(
        `UPDATE skald_participant_operation SET ${columns.map((c, i) => `${c} = $${i + 4}`).join(', ')}, updated_at = now()
           WHERE participant = $1 AND saga_id = $2 AND step = $3`,
        [
          participant,
          command.sagaId,
          command.step,
          ...columns.map((c) => {
            const value = fields[c as keyof OperationUpdate];
            const json = c.endsWith('_reply') || c.endsWith('_request');
            return json && value !== null ? JSON.stringify(value) : value;
          }),
        ],
      );
    };
    const store = async (
      prefix: 'forward' | 'compensation',
      state: string,
      reply: Reply,
      extra: OperationUpdate = {},
    ) => {
      await update({
        [`${prefix}_state`]: state,
        [`${prefix}_outcome`]: reply.outcome,
        [`${prefix}_reply`]: reply.data,
        ...extra,
      });
      return reply;
    };

    if (command.phase === 'compensate') {
      if (op.compensation_state)
        return { outcome: op.compensation_outcome!, data: op.compensation_reply };
      // never executed (or refused, or fenced): nothing to undo, and the fence is now up
      if (op.forward_state !== 'succeeded') {
        return store('compensation', 'compensated', {
          outcome: 'success',
          data: { compensated: false, reason: 'not executed' },
        });
      }
      // a refused compensation is not remembered: an operator's retry runs it again
      const forward = { request: op.forward_request, reply: op.forward_reply };
      return handle(
        tx,
        (t) => invoke(t, forward),
        (reply) =>
          reply.outcome === 'success'
            ? store('compensation', 'compensated', reply)
            : Promise.resolve(reply),
      );
    }

    if (command.phase === 'fence') {
      if (op.forward_state === null && op.compensation_state === null)
        await store('forward', 'fenced', fenced(command, 'was given up on by its saga'));
      // a step that ran is told with its reply, so a saga that was unsure can carry on
      return op.forward_state === 'succeeded'
        ? { outcome: 'success', data: { executed: true, reply: op.forward_reply } }
        : { outcome: 'success', data: { executed: false } };
    }

    if (op.compensation_state)
      return store('forward', 'fenced', fenced(command, 'was already compensated'));
    if (command.run < op.run) return fenced(command, `was retried by an operator (run ${op.run})`);
    if (command.run > op.run) {
      // an operator's retry is a new operation: a refusal is forgotten, an effect that happened stands
      const retry = op.forward_state === 'refused';
      await update({
        run: command.run,
        ...(retry ? { forward_state: null, forward_outcome: null, forward_reply: null } : {}),
      });
      if (retry) op.forward_state = null;
    }
    if (op.forward_state) return { outcome: op.forward_outcome!, data: op.forward_reply };
    // the request is kept for the compensation handler, which may have nothing else to go on
    return handle(tx, invoke, (reply) =>
      store('forward', reply.outcome === 'success' ? 'succeeded' : 'refused', reply, {
        forward_request: command.data,
      }),
    );
  });
}

/** A fence (phase `fence`): recorded on the operation row; no handler of yours runs. */
export function processFence(
  db: ParticipantDatabase,
  participant: string,
  command: CommandEnvelope,
): Promise<Reply> {
  return processWithDatabase(db, participant, command, () =>
    Promise.reject(new Error('a fence runs no handler')),
  );
}

/** One transaction whose work answers a reply; a RollBack thrown inside undoes it all and answers its reply. */
export async function replyInTransaction(
  db: ParticipantDatabase,
  work: (tx: OpenTransaction) => Promise<Reply>,
): Promise<Reply> {
  try {
    return await inTransaction(db, work);
  } catch (error) {
    if (error instanceof RollBack) return error.reply;
    throw error;
  }
}

/**
 * Runs the handler after a savepoint: a transient error rolls the whole transaction back; a
 * refusal rolls back the handler's writes only; `store` records the answer either way.
 */
export async function handle(
  tx: OpenTransaction,
  invoke: Invoke,
  store: (reply: Reply) => Promise<Reply>,
): Promise<Reply> {
  await tx.query('SAVEPOINT skald_handler');
  const reply = await runHandler(invoke, tx);
  if (reply.outcome === 'error') throw new RollBack(reply);
  // a refusal keeps none of the handler's writes, only the stored answer
  if (reply.outcome === 'failure') await tx.query('ROLLBACK TO SAVEPOINT skald_handler');
  return store(reply);
}
