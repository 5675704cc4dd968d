"""Decoding commands, encoding replies and dead letters (docs/protocol.md).

Mirrors decodeCommand / encodeReply / readCorrelation / deadLetter of
libs/protocol/src/envelope.ts, so both sides refuse the same messages.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from .wire import (
    CONTENT_TYPE,
    MAX_HEADER_BYTES,
    PHASES,
    REPLY_TYPE,
    SPEC_VERSION,
    Headers,
    is_topic_name,
    is_uuid,
)


class ProtocolError(Exception):
    """A message that breaks the wire contract; the message names the first problem."""


@dataclass
class WireRecord:
    """A Kafka record as the client gives it: raw key, value and headers (repeats kept)."""

    key: Optional[bytes]
    value: Optional[bytes]
    headers: list[tuple[str, Optional[bytes]]] = field(default_factory=list)


@dataclass
class Command:
    id: str
    source: str
    command: str
    time: str
    saga_id: str
    step: str
    attempt: int
    run: int
    phase: str
    reply_to: str
    data: Any
    trace_parent: Optional[str] = None


# CloudEvents forbids controls, surrogates and noncharacters in attribute values
_FORBIDDEN = re.compile(
    "[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)
# PostgreSQL's jsonb refuses U+0000 and lone surrogates in strings
_UNSTORABLE_IN_JSONB = re.compile("[\u0000\ud800-\udfff]")


def printable(text: str, limit: int = 300) -> str:
    """`text` cut to `limit` characters, forbidden characters written as \\uXXXX."""
    cut = text[:limit] + "…" if len(text) > limit else text
    return _FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", cut)


def _quote(value: str, limit: int = 64) -> str:
    return f'"{printable(value, limit)}"'


def _last_header(record: WireRecord, name: str) -> Optional[bytes]:
    found = None
    for header_name, value in record.headers:
        if header_name == name and value is not None:
            found = value
    return found


def _read_header(record: WireRecord, name: str) -> tuple[Optional[str], Optional[str]]:
    """The header's value (the last, if repeated) and, if the contract forbids it, why."""
    raw = _last_header(record, name)
    if raw is None:
        return None, None
    if len(raw) > MAX_HEADER_BYTES:
        return None, f"header {name} is {len(raw)} bytes long, at most {MAX_HEADER_BYTES} allowed"
    # bytes that are not UTF-8 read as U+FFFD, which is allowed
    value = raw.decode("utf-8", errors="replace")
    if _FORBIDDEN.search(value):
        return None, (
            f"header {name} has a control character, lone surrogate or noncharacter, "
            f"which CloudEvents forbids: {_quote(value)}"
        )
    return value, None


def _header(record: WireRecord, name: str) -> Optional[str]:
    value, problem = _read_header(record, name)
    if problem:
        raise ProtocolError(problem)
    return value


def _required(record: WireRecord, name: str) -> str:
    value = _header(record, name)
    if not value:
        raise ProtocolError(f"missing header {name}")
    return value


def _uuid(record: WireRecord, name: str) -> str:
    value = _required(record, name)
    if not is_uuid(value):
        raise ProtocolError(f"header {name} must be a UUID, got {_quote(value)}")
    return value


def _positive_integer(name: str, text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= 2**53 - 1:
        raise ProtocolError(f"header {name} must be a positive integer, got {_quote(text, 32)}")
    return int(text)


def _reject_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity; JSON (and the other side's parser) does not
    raise ValueError(f"{name} is not JSON")


def _unstorable_string(value: Any) -> Optional[str]:
    """The first string (key or value) jsonb cannot store; iterative, as nesting is unbounded."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE_IN_JSONB.search(item):
                return item
        elif isinstance(item, dict):
            for key, child in item.items():
                if _UNSTORABLE_IN_JSONB.search(key):
                    return key
                pending.append(child)
        elif isinstance(item, list):
            pending.extend(item)
    return None


def _json_value(record: WireRecord) -> Any:
    if not record.value:
        return None
    text = record.value.decode("utf-8", errors="replace")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"value is not valid JSON ({printable(str(error))})") from None
    unstorable = _unstorable_string(value) if "\\u" in text else None
    if unstorable is not None:
        raise ProtocolError(
            "value has a string with U+0000 or a lone surrogate, which PostgreSQL cannot store: "
            + _quote(unstorable)
        )
    return value


def decode_command(record: WireRecord) -> Command:
    """Parses and validates a command; raises ProtocolError naming the first problem."""
    spec = _required(record, Headers.SPEC_VERSION)
    if spec != SPEC_VERSION:
        raise ProtocolError(f"header {Headers.SPEC_VERSION} must be {SPEC_VERSION}, got {_quote(spec)}")
    content_type = _header(record, Headers.CONTENT_TYPE)
    if content_type is not None and not content_type.startswith(CONTENT_TYPE):
        raise ProtocolError(
            f"header {Headers.CONTENT_TYPE} must be {CONTENT_TYPE}, got {_quote(content_type)}"
        )
    attempt = _positive_integer(Headers.ATTEMPT, _required(record, Headers.ATTEMPT))
    run_text = _header(record, Headers.STEP_RUN)
    run = 1 if run_text is None else _positive_integer(Headers.STEP_RUN, run_text)
    message_id = _uuid(record, Headers.ID)
    source = _required(record, Headers.SOURCE)
    command = _required(record, Headers.TYPE)
    time = _required(record, Headers.TIME)
    saga_id = _uuid(record, Headers.SAGA_ID)
    step = _required(record, Headers.SAGA_STEP)
    phase = _required(record, Headers.PHASE)
    if phase not in PHASES:
        raise ProtocolError(f"header {Headers.PHASE} must be one of {', '.join(PHASES)}, got {_quote(phase)}")
    reply_to = _required(record, Headers.REPLY_TO)
    if not is_topic_name(reply_to):
        raise ProtocolError(
            f"header {Headers.REPLY_TO} must be a Kafka topic name "
            f'(1-249 of a-z A-Z 0-9 . _ -, not "." or ".."), got {_quote(reply_to)}'
        )
    trace_parent = _header(record, Headers.TRACE_PARENT)
    return Command(
        id=message_id,
        source=source,
        command=command,
        time=time,
        saga_id=saga_id,
        step=step,
        attempt=attempt,
        run=run,
        phase=phase,
        reply_to=reply_to,
        data=_json_value(record),
        trace_parent=trace_parent,
    )


@dataclass
class Correlation:
    """The correlation headers of a message that failed validation, each only if usable."""

    id: Optional[str]
    saga_id: Optional[str]
    reply_to: Optional[str]

    @property
    def answerable(self) -> bool:
        return bool(self.id and self.saga_id and self.reply_to)


def read_correlation(record: WireRecord) -> Correlation:
    def usable(name: str, valid) -> Optional[str]:
        value, _ = _read_header(record, name)
        return value if value is not None and valid(value) else None

    return Correlation(
        id=usable(Headers.ID, is_uuid),
        saga_id=usable(Headers.SAGA_ID, is_uuid),
        reply_to=usable(Headers.REPLY_TO, is_topic_name),
    )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode_reply(
    source: str, correlation_id: str, saga_id: str, outcome: str, data: Any
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of a reply, keyed by the saga id like the command it answers."""
    headers = {
        Headers.SPEC_VERSION: SPEC_VERSION,
        Headers.ID: str(uuid.uuid4()),
        Headers.SOURCE: source,
        Headers.TYPE: REPLY_TYPE,
        Headers.TIME: _now(),
        Headers.CONTENT_TYPE: CONTENT_TYPE,
        Headers.CORRELATION_ID: correlation_id,
        Headers.SAGA_ID: saga_id,
        Headers.OUTCOME: outcome,
    }
    value = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        saga_id.encode(),
        value.encode(),
        [(name, text.encode()) for name, text in headers.items()],
    )


def dead_letter(
    record: WireRecord, reason: str, topic: str, partition: int, offset: int
) -> tuple[Optional[bytes], Optional[bytes], list[tuple[str, bytes]]]:
    """The original record (last value of each header) with the reason and its origin added."""
    headers: dict[str, bytes] = {}
    for name, value in record.headers:
        if value is not None:
            headers[name] = value
    headers[Headers.DLQ_REASON] = printable(reason, 10_000).encode()
    headers[Headers.DLQ_TOPIC] = topic.encode()
    headers[Headers.DLQ_PARTITION] = str(partition).encode()
    headers[Headers.DLQ_OFFSET] = str(offset).encode()
    return record.key, record.value, list(headers.items())
