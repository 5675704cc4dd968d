"""The retry decision of docs/protocol.md ("Dead letter or retry"), for psycopg and confluent-kafka.

Transient (the message waits and is retried): the database or broker cannot be reached, or
PostgreSQL rolled the transaction back for a reason a retry can clear. Everything else (bad
data, constraint violations, a broker refusing the record, programmer errors) is permanent: the
message is dead-lettered and its partition moves on.
"""

from __future__ import annotations

import re

import psycopg
from confluent_kafka import KafkaError, KafkaException

from .envelope import printable

# 08 connection, 57P01-03/05 shutdown, 40 rollback (serialization, deadlock), 53 resources,
# 58 system error, 57014 statement timeout, 55P03 lock timeout
_TRANSIENT_SQLSTATE = re.compile(r"^(08|40|53|58)|^57P0[1235]$|^57014$|^55P03$")


class RetryableError(Exception):
    """Raised by this package for a failure that a later try may not have (e.g. a reply not acknowledged)."""


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, (RetryableError, ConnectionError, TimeoutError)):
        return True
    if isinstance(error, psycopg.Error):
        sqlstate = error.sqlstate
        if sqlstate is None:
            # no SQLSTATE: the connection failed, not the statement
            return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))
        return _TRANSIENT_SQLSTATE.search(sqlstate) is not None
    if isinstance(error, KafkaException) and error.args and isinstance(error.args[0], KafkaError):
        return error.args[0].retriable()
    return False


def is_retryable(error: BaseException) -> bool:
    """True when `error`, or one of its causes, may clear if the work is tried again later."""
    link: BaseException | None = error
    for _ in range(8):
        if link is None:
            return False
        if _is_transient(link):
            return True
        link = link.__cause__
    return False


def describe_failure(error: BaseException) -> str:
    """One printable line: the error's type, its SQLSTATE if any, and its message."""
    code = getattr(error, "sqlstate", None)
    return printable(f"{type(error).__name__}{f' {code}' if code else ''}: {error}")
