"""Unit checks of the decoder and the retry rule against the cases of docs/protocol.md."""

import json
import unittest

import psycopg
from confluent_kafka import KafkaError, KafkaException

from skald_participant.envelope import (
    ProtocolError,
    WireRecord,
    dead_letter,
    decode_command,
    encode_reply,
    printable,
    read_correlation,
)
from skald_participant.failures import RetryableError, is_retryable

SAGA_ID = "4b9f6a3e-8a1d-4c39-9d1e-3f1f2a6b7c8d"
COMMAND_ID = "0e4a1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d"
HEADERS = {
    "ce_specversion": "1.0",
    "ce_id": COMMAND_ID,
    "ce_source": "skald/orchestrator",
    "ce_type": "reserve",
    "ce_time": "2026-11-24T10:00:00.000Z",
    "content-type": "application/json",
    "ce_sagaid": SAGA_ID,
    "ce_sagastep": "reserve-hotel",
    "ce_attempt": "2",
    "ce_steprun": "3",
    "ce_phase": "execute",
    "ce_replyto": "skald.replies",
}


def record(value=b'{"city":"Lisbon"}', **changes):
    headers = {**HEADERS, **changes}
    return WireRecord(
        SAGA_ID.encode(),
        value,
        [
            (name, text if isinstance(text, bytes) else text.encode())
            for name, text in headers.items()
            if text is not None
        ],
    )


class DecodeCommand(unittest.TestCase):
    def test_reads_every_header_and_the_json_value(self):
        command = decode_command(record())
        self.assertEqual(
            (command.id, command.saga_id, command.step, command.attempt, command.run, command.phase),
            (COMMAND_ID, SAGA_ID, "reserve-hotel", 2, 3, "execute"),
        )
        self.assertEqual(command.data, {"city": "Lisbon"})

    def test_an_absent_run_is_1_and_an_empty_value_is_null(self):
        command = decode_command(record(value=b"", ce_steprun=None))
        self.assertEqual((command.run, command.data), (1, None))

    def test_the_last_of_a_repeated_header_counts(self):
        repeated = record()
        repeated.headers.append(("ce_sagastep", b"other-step"))
        self.assertEqual(decode_command(repeated).step, "other-step")

    def assertMalformed(self, rec, fragment):
        with self.assertRaises(ProtocolError) as caught:
            decode_command(rec)
        self.assertIn(fragment, str(caught.exception))

    def test_refuses_what_the_protocol_calls_malformed(self):
        self.assertMalformed(record(ce_sagaid=None), "missing header ce_sagaid")
        self.assertMalformed(record(ce_sagastep=""), "missing header ce_sagastep")
        self.assertMalformed(record(ce_id="not-a-uuid"), "ce_id must be a UUID")
        self.assertMalformed(record(ce_specversion="0.3"), "ce_specversion must be 1.0")
        self.assertMalformed(record(ce_attempt="0"), "ce_attempt must be a positive integer")
        self.assertMalformed(record(ce_attempt="1.5"), "ce_attempt must be a positive integer")
        self.assertMalformed(record(ce_steprun="9007199254740992"), "ce_steprun must be a positive integer")
        self.assertMalformed(record(ce_phase="undo"), "ce_phase must be one of")
        self.assertMalformed(record(ce_replyto=".."), "ce_replyto must be a Kafka topic name")
        self.assertMalformed(record(ce_replyto="a/b"), "ce_replyto must be a Kafka topic name")
        self.assertMalformed(
            record(**{"content-type": "text/plain"}), "content-type must be application/json"
        )
        self.assertMalformed(record(ce_sagastep="a\u0007b"), "control character")
        self.assertMalformed(record(ce_sagastep="a\ufffeb"), "noncharacter")
        self.assertMalformed(record(ce_source="x" * 1025), "at most 1024 allowed")

    def test_refuses_values_json_or_jsonb_cannot_hold(self):
        self.assertMalformed(record(value=b"{nope"), "value is not valid JSON")
        self.assertMalformed(record(value=b'{"n": NaN}'), "value is not valid JSON")
        self.assertMalformed(record(value=b"[" * 100_000), "value is not valid JSON")
        self.assertMalformed(record(value=b'{"a": "\\u0000"}'), "PostgreSQL cannot store")
        self.assertMalformed(record(value=b'{"\\ud800": 1}'), "PostgreSQL cannot store")

    def test_accepts_what_only_looks_unstorable(self):
        self.assertEqual(decode_command(record(value=b'{"a": "\\\\u0000"}')).data, {"a": "\\u0000"})
        self.assertEqual(decode_command(record(value=b'"\\ud83d\\ude00"')).data, "\U0001f600")
        # bytes that are not UTF-8 read as U+FFFD, which is allowed
        self.assertEqual(decode_command(record(ce_source=b"\xff")).source, "\ufffd")


class RepliesAndDeadLetters(unittest.TestCase):
    def test_a_reply_is_keyed_by_saga_and_correlated_to_the_command(self):
        key, value, headers = encode_reply(
            "hotels", COMMAND_ID, SAGA_ID, "failure", {"code": "NO_ROOMS", "message": "full"}
        )
        named = dict((k, v.decode()) for k, v in headers)
        self.assertEqual(key, SAGA_ID.encode())
        self.assertEqual(json.loads(value), {"code": "NO_ROOMS", "message": "full"})
        self.assertEqual(named["ce_type"], "skald.reply")
        self.assertEqual(named["ce_correlationid"], COMMAND_ID)
        self.assertEqual(named["ce_outcome"], "failure")
        self.assertNotEqual(named["ce_id"], COMMAND_ID)

    def test_a_dead_letter_keeps_the_record_and_names_its_origin(self):
        original = record(ce_phase="undo")
        key, value, headers = dead_letter(original, "malformed:\u0001", "skald.commands.hotels", 2, 41)
        named = dict(headers)
        self.assertEqual((key, value), (original.key, original.value))
        self.assertEqual(named["ce_phase"], b"undo")
        self.assertEqual(named["skald_dlq_reason"], b"malformed:\\u0001")
        self.assertEqual(
            (named["skald_dlq_topic"], named["skald_dlq_partition"], named["skald_dlq_offset"]),
            (b"skald.commands.hotels", b"2", b"41"),
        )

    def test_correlation_of_a_malformed_command_uses_only_usable_headers(self):
        correlation = read_correlation(record(ce_sagaid="nope"))
        self.assertEqual((correlation.id, correlation.saga_id), (COMMAND_ID, None))
        self.assertFalse(correlation.answerable)

    def test_printable_escapes_and_cuts(self):
        self.assertEqual(printable("a\u0000b\ud800", 10), "a\\u0000b\\ud800")
        self.assertEqual(printable("abcdef", 3), "abc…")


class RetryRule(unittest.TestCase):
    def test_outages_are_retried_and_everything_else_dead_lettered(self):
        self.assertTrue(is_retryable(psycopg.OperationalError("connection refused")))
        self.assertTrue(is_retryable(RetryableError("no ack")))
        self.assertTrue(
            is_retryable(KafkaException(KafkaError(KafkaError._TRANSPORT, "down", retriable=True)))
        )
        self.assertFalse(is_retryable(KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "big"))))
        self.assertFalse(is_retryable(TypeError("not JSON serializable")))
        outage = psycopg.OperationalError("gone")
        wrapped = ValueError("while saving")
        wrapped.__cause__ = outage
        self.assertTrue(is_retryable(wrapped))


if __name__ == "__main__":
    unittest.main()
