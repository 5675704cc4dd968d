"""Effectively-once processing of one command in the participant's PostgreSQL.

The inbox row, the handler's own writes and the stored reply commit in ONE transaction; the
caller sends the reply only after that commit, and commits the Kafka offset only after the
broker acknowledged the reply. Break this and effects happen twice or get lost.

- participant_inbox: one row per `ce_id` with the reply it got, so a redelivered message is
  answered with exactly that reply and runs nothing.
- participant_operation: one row per (saga, step) with the step's current run, what happened to
  its forward command (its request and reply) and to its compensation: later attempts of the
  step (new `ce_id`s) are answered from it, and it is the fence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from .envelope import Command
from .wire import COMPENSATE, ERROR, FAILURE, FENCE, SUCCESS, Codes

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS participant_inbox (
  participant text NOT NULL,
  message_id uuid NOT NULL,
  saga_id uuid NOT NULL,
  step text NOT NULL,
  reply_outcome text NOT NULL,
  reply jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (participant, message_id)
);
CREATE TABLE IF NOT EXISTS participant_operation (
  participant text NOT NULL,
  saga_id uuid NOT NULL,
  step text NOT NULL,
  run integer NOT NULL DEFAULT 1,
  forward_state text,
  forward_request jsonb,
  forward_outcome text,
  forward_reply jsonb,
  compensation_state text,
  compensation_outcome text,
  compensation_reply jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (participant, saga_id, step)
);
"""


def create_tables(conn: psycopg.Connection, extra_sql: str = "") -> None:
    """Idempotent; under an advisory lock, as concurrent CREATE TABLE IF NOT EXISTS can collide."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('participant_schema'))")
        conn.execute(SCHEMA_SQL)
        if extra_sql:
            conn.execute(extra_sql)


class BusinessRefusal(Exception):
    """Raised by a handler for a business "no": answered `failure`, not retried, the saga compensates."""

    def __init__(self, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


@dataclass
class Reply:
    outcome: str
    data: Any
    #: answered from the inbox: this very message was processed before
    redelivered: bool = False


@dataclass
class Forward:
    """What a compensation handler is told of the forward command it undoes, which ran here."""

    request: Any
    reply: Any


@dataclass
class Context:
    saga_id: str
    step: str
    attempt: int
    run: int
    phase: str
    command: str
    command_id: str
    #: the open transaction: the handler's writes commit with the inbox row and the reply
    tx: psycopg.Connection
    #: compensations only: the forward command's request and reply
    forward: Optional[Forward] = None


Handler = Callable[[Any, Context], Any]


class _RollBack(Exception):
    """A transient handler error: undo everything (the inbox row too), so the next attempt runs."""

    def __init__(self, reply: Reply):
        super().__init__("roll back")
        self.reply = reply


def _fenced(command: Command, why: str) -> Reply:
    return Reply(
        FAILURE,
        {
            "code": Codes.FENCED,
            "message": f"step {command.step} of saga {command.saga_id} {why}; "
            "this command is refused, not executed",
        },
    )


def _run_handler(conn: psycopg.Connection, handler: Handler, payload: Any, context: Context) -> Reply:
    """The result is `success`; a BusinessRefusal `failure` (its writes undone); anything else `error`."""
    try:
        # a savepoint: a refusal keeps none of the handler's writes, only the stored answer
        with conn.transaction():
            result = handler(payload, context)
    except BusinessRefusal as refusal:
        body = {"code": refusal.code, "message": refusal.message}
        if refusal.details is not None:
            body["details"] = refusal.details
        return Reply(FAILURE, body)
    except Exception as error:  # noqa: BLE001 - every other exception is the `error` answer
        code = getattr(error, "code", None)
        raise _RollBack(
            Reply(
                ERROR, {"code": code if isinstance(code, str) else Codes.HANDLER_ERROR, "message": str(error)}
            )
        ) from error
    return Reply(SUCCESS, {} if result is None else result)


class _Operation:
    """The (saga, step) row, locked for this transaction."""

    COLUMNS = (
        "run, forward_state, forward_request, forward_outcome, forward_reply, "
        "compensation_state, compensation_outcome, compensation_reply"
    )

    def __init__(self, conn: psycopg.Connection, participant: str, command: Command):
        self.conn, self.key = conn, (participant, command.saga_id, command.step)
        conn.execute(
            "INSERT INTO participant_operation (participant, saga_id, step, run) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (*self.key, command.run),
        )
        # concurrent deliveries of one step (a rebalance) queue here, so only one runs the handler
        with conn.cursor(row_factory=dict_row) as cur:
            self.row = cur.execute(
                f"SELECT {self.COLUMNS} FROM participant_operation "
                "WHERE participant = %s AND saga_id = %s AND step = %s FOR UPDATE",
                self.key,
            ).fetchone()

    def update(self, **fields: Any) -> None:
        """Sets columns (names are constants of this module, never input)."""
        assignments = ", ".join(f"{name} = %s" for name in fields)
        values = [
            Jsonb(v) if name.endswith(("_reply", "_request")) and v is not None else v
            for name, v in fields.items()
        ]
        self.conn.execute(
            f"UPDATE participant_operation SET {assignments}, updated_at = now() "
            "WHERE participant = %s AND saga_id = %s AND step = %s",
            (*values, *self.key),
        )
        self.row.update(fields)

    def store(self, side: str, state: str, reply: Reply, **extra: Any) -> Reply:
        self.update(
            **{f"{side}_state": state, f"{side}_outcome": reply.outcome, f"{side}_reply": reply.data}, **extra
        )
        return reply


def _decide(
    conn: psycopg.Connection, participant: str, command: Command, handler: Optional[Handler]
) -> Reply:
    op = _Operation(conn, participant, command)
    row = op.row

    def context(forward: Optional[Forward] = None) -> Context:
        return Context(
            command.saga_id,
            command.step,
            command.attempt,
            command.run,
            command.phase,
            command.command,
            command.id,
            conn,
            forward,
        )

    if command.phase == COMPENSATE:
        if row["compensation_state"]:
            return Reply(row["compensation_outcome"], row["compensation_reply"])
        if row["forward_state"] != "succeeded":
            # never executed (or refused, or fenced): nothing to undo, and the fence is now up
            return op.store(
                "compensation",
                "compensated",
                Reply(SUCCESS, {"compensated": False, "reason": "not executed"}),
            )
        reply = _run_handler(
            conn, handler, command.data, context(Forward(row["forward_request"], row["forward_reply"]))
        )
        # a refused compensation is not kept on the step: an operator's retry runs it again
        return op.store("compensation", "compensated", reply) if reply.outcome == SUCCESS else reply

    if command.phase == FENCE:
        if row["forward_state"] is None and row["compensation_state"] is None:
            op.store("forward", "fenced", _fenced(command, "was given up on by its saga"))
        # a step that ran is told with its reply, so a saga that was unsure can carry on
        if row["forward_state"] == "succeeded":
            return Reply(SUCCESS, {"executed": True, "reply": row["forward_reply"]})
        return Reply(SUCCESS, {"executed": False})

    if row["compensation_state"]:
        return _fenced(command, "was already compensated")
    if command.run < row["run"]:
        return _fenced(command, f"was retried by an operator (run {row['run']})")
    if command.run > row["run"]:
        # an operator's retry is a new operation: a refusal is forgotten, an effect that happened stands
        if row["forward_state"] == "refused":
            op.update(run=command.run, forward_state=None, forward_outcome=None, forward_reply=None)
        else:
            op.update(run=command.run)
    if row["forward_state"]:
        return Reply(row["forward_outcome"], row["forward_reply"])
    reply = _run_handler(conn, handler, command.data, context())
    state = "succeeded" if reply.outcome == SUCCESS else "refused"
    return op.store("forward", state, reply, forward_request=command.data)


def process(
    conn: psycopg.Connection, participant: str, command: Command, handler: Optional[Handler]
) -> Reply:
    """Runs one command (execute, compensate or fence) in one transaction; returns the reply to send."""
    try:
        with conn.transaction():
            inserted = conn.execute(
                "INSERT INTO participant_inbox (participant, message_id, saga_id, step, reply_outcome) "
                "VALUES (%s, %s, %s, %s, '') ON CONFLICT DO NOTHING",
                (participant, command.id, command.saga_id, command.step),
            ).rowcount
            if not inserted:
                outcome, data = conn.execute(
                    "SELECT reply_outcome, reply FROM participant_inbox WHERE participant = %s AND message_id = %s",
                    (participant, command.id),
                ).fetchone()
                return Reply(outcome, data, redelivered=True)
            reply = _decide(conn, participant, command, handler)
            conn.execute(
                "UPDATE participant_inbox SET reply_outcome = %s, reply = %s WHERE participant = %s AND message_id = %s",
                (reply.outcome, Jsonb(reply.data), participant, command.id),
            )
            return reply
    except _RollBack as rollback:
        return rollback.reply
