"""A Skald participant: consumes its command topic, runs each command once, replies.

One record at a time, in order: decode → run in one PostgreSQL transaction (operations.py) →
produce the reply and wait for the broker's acknowledgement → commit the record's offset. A
crash anywhere before the commit redelivers the record, and the inbox answers it with the reply
stored the first time (at-least-once delivery, effectively-once effects).
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any, Callable, Optional

import psycopg
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from .envelope import (
    Command,
    ProtocolError,
    WireRecord,
    dead_letter,
    decode_command,
    encode_reply,
    read_correlation,
)
from .failures import RetryableError, describe_failure, is_retryable
from .operations import Handler, Reply, create_tables, process
from .wire import (
    COMPENSATE,
    DEFAULT_TOPIC_PREFIX,
    EXECUTE,
    FAILURE,
    FENCE,
    Codes,
    command_topic,
    consumer_group,
    dead_letter_topic,
    is_participant_name,
)

#: how long a reply or dead letter may wait for the broker's acknowledgement
_ACK_TIMEOUT_S = 20


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Participant:
    def __init__(
        self,
        name: str,
        brokers: str,
        database_url: str,
        topic_prefix: str = DEFAULT_TOPIC_PREFIX,
        schema_sql: str = "",
        log: Callable[[str], None] = _stderr,
    ):
        """`schema_sql`: the service's own idempotent DDL, run with the participant's tables at start."""
        if not is_participant_name(name):
            raise ValueError(f"participant name must be 1-100 of A-Z a-z 0-9 . _ -, got {name!r}")
        self.name, self.brokers, self.database_url = name, brokers, database_url
        self.topic_prefix, self.schema_sql = topic_prefix, schema_sql
        self.topic = command_topic(topic_prefix, name)
        self._log = lambda line: log(f"{name}: {line}")
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._stopping = False
        self._db: Optional[psycopg.Connection] = None

    # -- handlers ---------------------------------------------------------------------------

    def on(self, command: str) -> Callable[[Handler], Handler]:
        """Registers the handler of a forward command: `@participant.on("reserve")`."""
        return self._register(EXECUTE, command)

    def on_compensate(self, command: str) -> Callable[[Handler], Handler]:
        """Registers a compensation; it runs only if the step's forward command ran here."""
        return self._register(COMPENSATE, command)

    def _register(self, phase: str, command: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._handlers[(phase, command)] = handler
            return handler

        return register

    # -- life cycle -------------------------------------------------------------------------

    def stop(self, *_: Any) -> None:
        self._stopping = True

    def run(self) -> None:
        """Consumes until SIGTERM or SIGINT (or stop()), then closes everything."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        create_tables(self._database(), self.schema_sql)
        self._ensure_topics([self.topic, dead_letter_topic(self.topic_prefix)])
        self._producer = Producer(
            {
                "bootstrap.servers": self.brokers,
                "client.id": self.name,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 0,
                "message.timeout.ms": _ACK_TIMEOUT_S * 1000 - 5000,
            }
        )
        consumer = Consumer(
            {
                "bootstrap.servers": self.brokers,
                "client.id": self.name,
                "group.id": consumer_group(self.topic_prefix, self.name),
                # the offset is committed by hand, after the reply was acknowledged
                "enable.auto.commit": False,
                # a command sent before this group first joined must still be read
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 10_000,
                "heartbeat.interval.ms": 1_000,
                "fetch.wait.max.ms": 50,
            }
        )
        consumer.subscribe([self.topic], on_assign=self._on_assign)
        try:
            self._consume(consumer)
        finally:
            consumer.close()
            self._producer.flush(5)
            if self._db is not None:
                self._db.close()
            self._log("stopped")

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # the test waits for this line
        print(f"{self.name}: consuming {self.topic} ({len(partitions)} partitions)", flush=True)

    def _consume(self, consumer: Consumer) -> None:
        failures = 0
        while not self._stopping:
            message = consumer.poll(0.1)
            if message is None:
                continue
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    self._log(f"consumer: {message.error()}")
                continue
            try:
                self._handle(message)
            except Exception as error:  # noqa: BLE001 - the retry decision is is_retryable's
                if self._stopping:
                    return  # not committed: the record is read again after a restart
                # transient: the record and everything behind it on its partition wait
                failures += 1
                delay = min(0.2 * 2**failures, 5.0)
                self._log(f"{_where(message)}: {describe_failure(error)}; retrying in {delay:.1f} s")
                consumer.seek(TopicPartition(message.topic(), message.partition(), message.offset()))
                time.sleep(delay)
                continue
            failures = 0
            try:
                consumer.commit(message=message, asynchronous=False)
            except KafkaException as error:
                # e.g. a rebalance took the partition: its next owner answers from the inbox
                self._log(f"{_where(message)}: offset not committed ({error})")

    # -- one record -------------------------------------------------------------------------

    def _handle(self, message: Message) -> None:
        """Raises only what a retry may clear; parks what it never would on the dead-letter topic."""
        record = WireRecord(message.key(), message.value(), list(message.headers() or []))
        try:
            self._process(record, message)
        except Exception as error:  # noqa: BLE001
            if self._stopping or is_retryable(error):
                raise
            self._park(record, message, f"cannot process command: {describe_failure(error)}")

    def _process(self, record: WireRecord, message: Message) -> None:
        try:
            command = decode_command(record)
        except ProtocolError as error:
            self._reject(record, message, Codes.MALFORMED, f"malformed command: {error}")
            return
        handler = self._handlers.get((command.phase, command.command))
        if command.phase != FENCE and handler is None:
            # no handler, or a phase this participant does not take part in (2PC)
            self._reject(
                record,
                message,
                Codes.UNKNOWN_COMMAND,
                f'participant {self.name} has no {command.phase} handler for "{command.command}"',
            )
            return
        reply = process(self._database(), self.name, command, handler)
        if reply.redelivered:
            self._log(f"{command.id} was processed before: answered with the stored reply")
        elif reply.outcome == "error":
            self._log(
                f"handler failed (answered error, the orchestrator retries): saga={command.saga_id} "
                f"step={command.step} phase={command.phase} command={command.command} "
                f"attempt={command.attempt} code={reply.data['code']} message={reply.data['message']!r}"
            )
        self._reply(command, reply)

    def _reply(self, command: Command, reply: Reply) -> None:
        key, value, headers = encode_reply(self.name, command.id, command.saga_id, reply.outcome, reply.data)
        self._send(command.reply_to, key, value, headers)

    def _reject(self, record: WireRecord, message: Message, code: str, reason: str) -> None:
        """Parks a command it cannot run, and answers `failure` when the correlation headers allow."""
        self._park(record, message, reason)
        correlation = read_correlation(record)
        if correlation.answerable:
            key, value, headers = encode_reply(
                self.name, correlation.id, correlation.saga_id, FAILURE, {"code": code, "message": reason}
            )
            self._send(correlation.reply_to, key, value, headers)

    def _park(self, record: WireRecord, message: Message, reason: str) -> None:
        dlq = dead_letter_topic(self.topic_prefix)
        key, value, headers = dead_letter(
            record, reason, message.topic(), message.partition(), message.offset()
        )
        try:
            self._send(dlq, key, value, headers)
        except Exception as error:  # noqa: BLE001
            if self._stopping or is_retryable(error):
                raise
            # e.g. over the broker's size limit: skipping it is all that is left
            self._log(f"{_where(message)}: {reason}; skipped, {dlq} refused it ({describe_failure(error)})")
            return
        self._log(f"{_where(message)}: {reason}; parked on {dlq}")

    # -- Kafka and PostgreSQL -----------------------------------------------------------------

    def _send(self, topic: str, key: Optional[bytes], value: Optional[bytes], headers: list) -> None:
        """Produces one record and waits for the broker's acknowledgement (acks=all)."""
        outcome: dict[str, Optional[KafkaError]] = {}
        self._producer.produce(
            topic,
            value=value,
            key=key,
            headers=headers,
            on_delivery=lambda err, _msg: outcome.update(error=err),
        )
        self._producer.flush(_ACK_TIMEOUT_S)
        if "error" not in outcome:
            raise RetryableError(f"{topic} did not acknowledge within {_ACK_TIMEOUT_S} s")
        if outcome["error"] is not None:
            raise KafkaException(outcome["error"])

    def _database(self) -> psycopg.Connection:
        """The one connection, opened again after it broke (the failed record is retried)."""
        if self._db is None or self._db.closed or self._db.broken:
            # autocommit: every transaction is an explicit conn.transaction() block
            self._db = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
        return self._db

    def _ensure_topics(self, topics: list[str], timeout_s: float = 30) -> None:
        """Creates missing topics with the broker's defaults; an existing topic is left as it is."""
        admin = AdminClient({"bootstrap.servers": self.brokers})
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                existing = admin.list_topics(timeout=5).topics
                missing = [t for t in topics if t not in existing]
                if not missing:
                    return
                futures = admin.create_topics(
                    [NewTopic(t, num_partitions=-1, replication_factor=-1) for t in missing]
                )
                for future in futures.values():
                    try:
                        future.result()
                    except KafkaException as error:
                        if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                            raise
            except KafkaException as error:
                if time.monotonic() > deadline:
                    raise
                self._log(f"topic set-up: {error}; trying again")
                time.sleep(0.5)


def _where(message: Message) -> str:
    return f"{message.topic()}[{message.partition()}]@{message.offset()}"
