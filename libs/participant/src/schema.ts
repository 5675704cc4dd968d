/**
 * DDL of the participant's bookkeeping tables, in the participant's own database. Run it as a
 * migration of yours, or pass `createTables: true` to createParticipant.
 *
 * - inbox: every command id (`ce_id`) processed, so a redelivered message is recognised.
 * - operation: per saga step (`ce_sagaid` + `ce_sagastep`), what happened to its forward
 *   command (its request, for the compensation handler) and its compensation, with the replies
 *   sent, and the step's current run (`ce_steprun`) — the basis of "one step, one operation" and
 *   of the fence against a command arriving after its compensation or fence.
 * - prepare log (2PC): per transaction and step, `prepared` with what commit will need (written
 *   with the prepare handler's reservation, before the YES vote), then `committed` / `aborted`;
 *   `refused` for a NO vote. Prepared rows with no decision for a while are in doubt.
 *
 * Rows past `pruning.afterDays` are deleted (prepared ones never): see docs/participants.md#pruning.
 */
export const PARTICIPANT_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS skald_participant_inbox (
  participant text NOT NULL,
  message_id uuid NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (participant, message_id)
);
CREATE TABLE IF NOT EXISTS skald_participant_operation (
  participant text NOT NULL,
  saga_id uuid NOT NULL,
  step text NOT NULL,
  forward_state text,
  forward_outcome text,
  forward_reply jsonb,
  compensation_state text,
  compensation_outcome text,
  compensation_reply jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (participant, saga_id, step)
);
-- added after the first release: tables created by it gain them here
ALTER TABLE skald_participant_operation
  ADD COLUMN IF NOT EXISTS run integer NOT NULL DEFAULT 1,
  ADD COLUMN IF NOT EXISTS forward_request jsonb;
CREATE TABLE IF NOT EXISTS skald_participant_prepare_log (
  participant text NOT NULL,
  transaction_id uuid NOT NULL,
  step text NOT NULL,
  command text NOT NULL,
  request jsonb,
  state text NOT NULL,
  prepared jsonb,
  vote_outcome text,
  vote_reply jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (participant, transaction_id, step)
);
CREATE INDEX IF NOT EXISTS skald_participant_prepare_log_in_doubt
  ON skald_participant_prepare_log (participant, updated_at) WHERE state = 'prepared';
-- pruning (options.pruning) deletes by age, oldest first, without a sequential scan
CREATE INDEX IF NOT EXISTS skald_participant_inbox_received
  ON skald_participant_inbox (participant, received_at);
CREATE INDEX IF NOT EXISTS skald_participant_operation_updated
  ON skald_participant_operation (participant, updated_at);
CREATE INDEX IF NOT EXISTS skald_participant_prepare_log_finished
  ON skald_participant_prepare_log (participant, updated_at) WHERE state <> 'prepared';
`;
