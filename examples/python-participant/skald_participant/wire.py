"""The wire contract of docs/protocol.md: topic names, header names, phases, outcomes, codes.

Mirrors libs/protocol/src/wire.ts; every wire name this package uses is spelled here once.
"""

import re

DEFAULT_TOPIC_PREFIX = "skald"


def command_topic(prefix: str, participant: str) -> str:
    return f"{prefix}.commands.{participant}"


def dead_letter_topic(prefix: str) -> str:
    return f"{prefix}.dlq"


def consumer_group(prefix: str, participant: str) -> str:
    return f"{prefix}.participant.{participant}"


_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PARTICIPANT_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def is_topic_name(name: str) -> bool:
    """Kafka's topic-name grammar: 1-249 of [a-zA-Z0-9._-], and not "." or ".."."""
    return _TOPIC_NAME.fullmatch(name) is not None and name not in (".", "..")


def is_uuid(value: str) -> bool:
    """A UUID in its canonical 8-4-4-4-12 hex form, any version, either case."""
    return _UUID.fullmatch(value) is not None


def is_participant_name(name: str) -> bool:
    return _PARTICIPANT_NAME.fullmatch(name) is not None


class Headers:
    SPEC_VERSION = "ce_specversion"
    ID = "ce_id"
    SOURCE = "ce_source"
    TYPE = "ce_type"
    TIME = "ce_time"
    CONTENT_TYPE = "content-type"
    TRACE_PARENT = "traceparent"
    SAGA_ID = "ce_sagaid"
    SAGA_STEP = "ce_sagastep"
    ATTEMPT = "ce_attempt"
    STEP_RUN = "ce_steprun"
    PHASE = "ce_phase"
    REPLY_TO = "ce_replyto"
    CORRELATION_ID = "ce_correlationid"
    OUTCOME = "ce_outcome"
    DLQ_REASON = "skald_dlq_reason"
    DLQ_TOPIC = "skald_dlq_topic"
    DLQ_PARTITION = "skald_dlq_partition"
    DLQ_OFFSET = "skald_dlq_offset"


MAX_HEADER_BYTES = 1024
SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
REPLY_TYPE = "skald.reply"
FENCE_TYPE = "skald.fence"

EXECUTE, COMPENSATE, FENCE = "execute", "compensate", "fence"
PREPARE, COMMIT, ABORT = "prepare", "commit", "abort"
PHASES = (EXECUTE, COMPENSATE, PREPARE, COMMIT, ABORT, FENCE)

SUCCESS, FAILURE, ERROR = "success", "failure", "error"


class Codes:
    MALFORMED = "MALFORMED_MESSAGE"
    UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
    FENCED = "FENCED"
    HANDLER_ERROR = "HANDLER_ERROR"
