/**
 * DDL of the participant's bookkeeping tables, in the participant's own database. Run it as a
 * migration of yours, or pass `createTables: true` to createParticipant.
 *
 * - inbox: every command id (`ce_id`) processed, so a redelivered message is recognised.
 * - operation: per saga step (`ce_sagaid` + `ce_sagastep`), what happened to its forward
 *   command and its compensation, with the reply sent — the basis of "one step, one operation"
 *   and of the fence against a command arriving after its compensation.
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
`;
