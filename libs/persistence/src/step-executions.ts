// skald.step_execution, one row per command sent (or answered at once by fail-fast): the engine's
// writes of it, queued into its transaction's one statement (write-statement.ts). Two parts of one
// statement must not change the same row: a reply's UPDATE releases the row it answers, and the
// release of a finished saga's (or a timed-out) command leaves that row to it; the commands a
// decision sends are inserted released when that decision finishes their saga.
import type { SagaPhase } from '@skald/saga';
import type { QueuedWrites, WriteStatement } from './write-statement';

export interface NewCommandRow {
  commandId: string;
  sagaId: string;
  step: string;
  phase: string;
  attempt: number;
  participant: string;
  command: string;
  request: unknown;
  /** The Kafka record to publish. */
  topic: string;
  key: string;
  headers: Record<string, string>;
  payload: string;
  /** True when its saga ends in this same transaction: nothing awaits it, it is not in flight. */
  released?: boolean;
}

/** A command answered without being sent (fail-fast), stored with its answer. */
export type AnsweredCommandRow = Omit<NewCommandRow, 'released'> & {
  outcome: string;
  reply: unknown;
};

export interface ExecutionRecord {
  commandId: string;
  sagaId: string;
  step: string;
  phase: SagaPhase;
  attempt: number;
  participant: string;
  outcome: string | null;
  /** Epoch ms of the transaction that queued the command (`sent_at`). */
  sentAt: number;
}

export class StepExecutions {
  /** Rows to release in the next statement, and the CTEs of that statement that answer rows. */
  private releases = noReleases();

  constructor(private readonly writes: QueuedWrites) {
    writes.beforeRun((statement) => this.queueReleases(statement));
  }

  /** Queues execution rows (with their answer, for commands answered without being sent). */
  insert(commands: (NewCommandRow & { outcome?: string; reply?: unknown })[], now: number): void {
    if (commands.length === 0) return;
    const parameters: unknown[] = [
      JSON.stringify(commands.map((c) => ({ ...c, reply: c.reply ?? null }))),
      new Date(now),
    ];
    this.writes.add(
      `INSERT INTO skald.step_execution (command_id, saga_id, step, phase, attempt, participant, command, request,
         sent_at, outcome, reply, replied_at, released_at)
       SELECT c."commandId", c."sagaId", c.step, c.phase, c.attempt, c.participant, c.command, c.request, $2,
              c.outcome, c.reply, CASE WHEN c.outcome IS NOT NULL THEN $2::timestamptz END,
              CASE WHEN c.released THEN $2::timestamptz END
       FROM jsonb_to_recordset($1::jsonb) AS c("commandId" uuid, "sagaId" uuid, step text, phase text,
            attempt int, participant text, command text, request jsonb, outcome text, reply jsonb,
            released boolean)
       WHERE ${this.writes.ofWrittenSagas('c."sagaId"', parameters)}`,
      parameters,
    );
  }

  /**
   * Stores replies on their execution rows (the first reply only: later ones are duplicates) and
   * takes the commands out of their participants' in-flight counts.
   */
  recordReplies(
    replies: { commandId: string; outcome: string; reply: unknown }[],
    now: number,
  ): void {
    if (replies.length === 0) return;
    const cte = this.writes.add(
      `UPDATE skald.step_execution AS e
         SET outcome = COALESCE(e.outcome, r.outcome),
             reply = CASE WHEN e.outcome IS NULL THEN r.reply ELSE e.reply END,
             replied_at = COALESCE(e.replied_at, $2::timestamptz),
             released_at = COALESCE(e.released_at, $2::timestamptz)
       FROM jsonb_to_recordset($1::jsonb) AS r("commandId" uuid, outcome text, reply jsonb)
       WHERE e.command_id = r."commandId" AND e.command_id = ANY($3::uuid[])
       RETURNING e.command_id`,
      [
        JSON.stringify(replies.map((r) => ({ ...r, reply: r.reply ?? null }))),
        new Date(now),
        replies.map((r) => r.commandId),
      ],
    );
    this.releases.answered.push(cte);
  }

  /** The commands of these sagas, and these commands, are no longer in flight. */
  release(
    { sagaIds = [], commandIds = [] }: { sagaIds?: string[]; commandIds?: string[] },
    now: number,
  ): void {
    this.releases.sagaIds.push(...sagaIds);
    this.releases.commandIds.push(...commandIds);
    this.releases.at = new Date(now);
  }

  private queueReleases(statement: WriteStatement): void {
    const { sagaIds, commandIds, answered, at } = this.releases;
    this.releases = noReleases();
    if (sagaIds.length + commandIds.length === 0) return;
    const notAnswered = answered.map(
      (cte) => `AND command_id NOT IN (SELECT command_id FROM ${cte})`,
    );
    statement.add(
      `UPDATE skald.step_execution SET released_at = $3
       WHERE (saga_id = ANY($1::uuid[]) OR command_id = ANY($2::uuid[])) AND released_at IS NULL
         ${notAnswered.join(' ')}`,
      [sagaIds, commandIds, at],
    );
  }
}

function noReleases() {
  return {
    sagaIds: [] as string[],
    commandIds: [] as string[],
    answered: [] as string[],
    at: new Date(),
  };
}
