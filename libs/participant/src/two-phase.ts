// The participant's side of two-phase commit, against its own database.
// ⚠ A YES vote is sent only after the prepare log row ('prepared', with what commit needs) and the
// handler's reservation committed together; commit and abort change that row and apply the
// handler's writes in one transaction. Break this and a participant can vote YES and forget.
import {
  PROTOCOL_ERROR_CODES,
  type CommandEnvelope,
  type Outcome,
  type TwoPhaseDecision,
  type TwoPhasePhase,
} from '@skald/protocol';
import { inTransaction, type OpenTransaction, type ParticipantDatabase } from './database';
import { handle, replyInTransaction, runHandler, RollBack, type Reply } from './operations';

/** One prepare log row's state. `refused`: voted NO; `aborted` without a prepare: fenced. */
export const PREPARE_STATES = {
  prepared: 'prepared',
  committed: 'committed',
  aborted: 'aborted',
  refused: 'refused',
} as const;

/** Runs the handler of `phase` for one transaction; `prepared` is what the prepare handler returned. */
export type InvokeTwoPhase = (
  phase: TwoPhasePhase,
  tx: OpenTransaction,
  prepared: unknown,
) => Promise<unknown>;

interface LogRow {
  state: string;
  command: string;
  request: unknown;
  prepared: unknown;
  vote_outcome: Outcome | null;
  vote_reply: unknown;
}

export interface InDoubt {
  transactionId: string;
  step: string;
  command: string;
  request: unknown;
}

const LOG = 'skald_participant_prepare_log';

function lockRow(
  tx: OpenTransaction,
  participant: string,
  transactionId: string,
  step: string,
): Promise<LogRow | undefined> {
  return tx
    .query<LogRow>(
      `SELECT state, command, request, prepared, vote_outcome, vote_reply FROM ${LOG}
       WHERE participant = $1 AND transaction_id = $2 AND step = $3 FOR UPDATE`,
      [participant, transactionId, step],
    )
    .then((rows) => rows[0]);
}

function setState(
  tx: OpenTransaction,
  participant: string,
  transactionId: string,
  step: string,
  changes: { state: string; prepared?: unknown; vote?: Reply },
): Promise<unknown> {
  return tx.query(
    `UPDATE ${LOG} SET state = $4,
       prepared = CASE WHEN $5::boolean THEN $6::jsonb ELSE prepared END,
       vote_outcome = coalesce($7, vote_outcome), vote_reply = coalesce($8::jsonb, vote_reply),
       updated_at = now()
     WHERE participant = $1 AND transaction_id = $2 AND step = $3`,
    [
      participant,
      transactionId,
      step,
      changes.state,
      'prepared' in changes,
      JSON.stringify(changes.prepared ?? null),
      changes.vote?.outcome ?? null,
      changes.vote ? JSON.stringify(changes.vote.data) : null,
    ],
  );
}

const failure = (code: string, message: string): Reply => ({
  outcome: 'failure',
  data: { code, message },
});

/**
 * Prepare: validate and reserve, log `prepared` with the handler's result, vote YES — all in one
 * transaction. A BusinessRefusal is a NO vote (the handler's writes rolled back, the vote kept);
 * any other error keeps nothing and answers `error`, so the coordinator's next prepare runs again.
 * A repeated prepare gets the stored vote; a prepare after an abort votes NO.
 */
export function processPrepare(
  db: ParticipantDatabase,
  participant: string,
  command: CommandEnvelope,
  invoke: InvokeTwoPhase,
): Promise<Reply> {
  const key = [participant, command.sagaId, command.step] as const;
  return replyInTransaction(db, async (tx) => {
    await tx.query(
      `INSERT INTO ${LOG} (participant, transaction_id, step, command, request, state)
       VALUES ($1, $2, $3, $4, $5, 'new') ON CONFLICT DO NOTHING`,
      [...key, command.command, JSON.stringify(command.data)],
    );
    const row = (await lockRow(tx, ...key))!;
    if (row.state === PREPARE_STATES.aborted)
      return failure('ALREADY_ABORTED', `transaction ${command.sagaId} was already aborted here`);
    if (row.state !== 'new') return { outcome: row.vote_outcome!, data: row.vote_reply };
    return handle(
      tx,
      () => invoke('prepare', tx, undefined),
      async (reply) => {
        await setState(
          tx,
          ...key,
          reply.outcome === 'success'
            ? { state: PREPARE_STATES.prepared, prepared: reply.data, vote: reply }
            : { state: PREPARE_STATES.refused, vote: reply },
        );
        return reply;
      },
    );
  });
}

/**
 * Commit or abort of one prepared transaction, idempotent: a second commit (or abort) answers
 * `success` without calling the handler. An abort of a transaction never prepared here is
 * recorded (a fence: its prepare, arriving later, votes NO) and answered without the handler.
 */
export async function processDecision(
  db: ParticipantDatabase,
  participant: string,
  target: { transactionId: string; step: string; command: string; request: unknown },
  decision: TwoPhaseDecision,
  invoke: InvokeTwoPhase,
): Promise<Reply> {
  const { transactionId, step } = target;
  return replyInTransaction(db, async (tx) => {
    if (decision === 'abort') {
      const fenced = await tx.query(
        `INSERT INTO ${LOG} (participant, transaction_id, step, command, request, state)
           VALUES ($1, $2, $3, $4, $5, 'aborted') ON CONFLICT DO NOTHING RETURNING state`,
        [participant, transactionId, step, target.command, JSON.stringify(target.request)],
      );
      if (fenced.length === 1)
        return { outcome: 'success', data: { aborted: true, prepared: false } };
    }
    const row = await lockRow(tx, participant, transactionId, step);
    const done = decision === 'commit' ? PREPARE_STATES.committed : PREPARE_STATES.aborted;
    if (!row)
      return failure('NOT_PREPARED', `transaction ${transactionId} was never prepared here`);
    if (row.state === done || (decision === 'abort' && row.state === PREPARE_STATES.refused))
      return { outcome: 'success', data: { [done]: true, repeated: true } };
    if (row.state !== PREPARE_STATES.prepared) {
      return failure(
        'CONFLICTING_DECISION',
        `cannot ${decision} transaction ${transactionId}: it is ${row.state} here`,
      );
    }
    const reply = await runHandler(() => invoke(decision, tx, row.prepared));
    if (reply.outcome !== 'success') throw new RollBack(reply);
    await setState(tx, participant, transactionId, step, { state: done });
    return reply;
  });
}

/** The most in-doubt records one look returns. */
export const IN_DOUBT_BATCH = 100;

/**
 * Prepared records with no decision for `olderThanMs` (the coordinator must be asked), oldest
 * first, and in how many ms the next younger prepared record is that old (undefined: none).
 */
export async function findInDoubt(
  db: ParticipantDatabase,
  participant: string,
  olderThanMs: number,
): Promise<{ records: InDoubt[]; nextInMs: number | undefined }> {
  return inTransaction(db, async (tx) => {
    const parameters = [participant, olderThanMs / 1000];
    const records = await tx.query<InDoubt>(
      `SELECT transaction_id AS "transactionId", step, command, request FROM ${LOG}
       WHERE participant = $1 AND state = 'prepared' AND updated_at < now() - make_interval(secs => $2)
       ORDER BY updated_at LIMIT ${IN_DOUBT_BATCH}`,
      parameters,
    );
    const [next] = await tx.query<{ inMs: number | null }>(
      `SELECT (extract(epoch FROM min(updated_at) + make_interval(secs => $2) - now()) * 1000)::float8 AS "inMs"
       FROM ${LOG}
       WHERE participant = $1 AND state = 'prepared' AND updated_at >= now() - make_interval(secs => $2)`,
      parameters,
    );
    return { records, nextInMs: next.inMs ?? undefined };
  });
}

/** What the coordinator's answer means for a transaction prepared here. */
export type CoordinatorAnswer =
  { decision: TwoPhaseDecision; presumed: boolean } | { decision: undefined; why: string };

const inDoubt = (why: string): CoordinatorAnswer => ({ decision: undefined, why });

/**
 * Reads the answer to GET <url>/v1/transactions/:id. Presumed abort ONLY on a 404 whose JSON body
 * has the code TRANSACTION_UNKNOWN: the coordinator itself has no record of the transaction.
 * A 404 from anything else (a wrong URL, a proxy), a 5xx, a 401, a body that is not about this
 * transaction: in doubt. ⚠ Presuming abort on those would abort what the coordinator committed.
 */
export function readCoordinatorAnswer(
  transactionId: string,
  status: number,
  body: unknown,
  /** Whether the question carried `twoPhase.apiKey`: what a 401 means depends on it. */
  withApiKey = false,
): CoordinatorAnswer {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as {
    id?: unknown;
    code?: unknown;
    status?: unknown;
    decision?: unknown;
  };
  if (status === 404) {
    return fields.code === PROTOCOL_ERROR_CODES.transactionUnknown
      ? { decision: 'abort', presumed: true }
      : inDoubt(
          `HTTP 404 without code ${PROTOCOL_ERROR_CODES.transactionUnknown}: not the coordinator's answer`,
        );
  }
  if (status === 401)
    return inDoubt(
      withApiKey
        ? 'HTTP 401: the coordinator does not know twoPhase.apiKey; give it a key of its SKALD_API_KEYS with the read scope'
        : 'HTTP 401: the coordinator requires an API key; set twoPhase.apiKey to a key with the read scope',
    );
  if (status === 403)
    return inDoubt('HTTP 403: twoPhase.apiKey lacks the read scope the coordinator asks for');
  if (status !== 200) return inDoubt(`HTTP ${status}`);
  if (fields.id !== transactionId) return inDoubt('HTTP 200, but not about this transaction');
  if (fields.decision === 'commit' || fields.decision === 'abort')
    return { decision: fields.decision, presumed: false };
  return inDoubt(`undecided (${String(fields.status)})`);
}

/**
 * Asks the coordinator what became of a transaction (with `apiKey` as `Authorization: Bearer`);
 * a network failure keeps it in doubt.
 */
export async function askCoordinator(
  coordinatorUrl: string,
  transactionId: string,
  apiKey?: string,
): Promise<CoordinatorAnswer> {
  let res: Response;
  let body: unknown;
  try {
    res = await fetch(`${coordinatorUrl.replace(/\/$/, '')}/v1/transactions/${transactionId}`, {
      signal: AbortSignal.timeout(5_000),
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    });
    body = await res.json().catch(() => undefined);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return inDoubt(`coordinator unreachable: ${cause ?? (error as Error).message}`);
  }
  return readCoordinatorAnswer(transactionId, res.status, body, apiKey !== undefined);
}
