"""A Skald saga participant over the documented wire protocol (docs/protocol.md)."""

from .envelope import Command, ProtocolError, WireRecord, decode_command
from .operations import SCHEMA_SQL, BusinessRefusal, Context, Forward
from .participant import Participant

__all__ = [
    "BusinessRefusal",
    "Command",
    "Context",
    "Forward",
    "Participant",
    "ProtocolError",
    "SCHEMA_SQL",
    "WireRecord",
    "decode_command",
]
