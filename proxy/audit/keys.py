"""The audit key and what is derived from it (pure): one secret from configuration, one sub-key
per use, so a fingerprint key can never forge a chain signature and the other way round.

Sub-keys are HMAC-SHA256(audit key, label), labels versioned. Subject HMACs and parameter
fingerprints are truncated to 128 bits (32 hex digits): enough to tell subjects apart and to
find a subject's accesses, short enough for a thousand per record. No method returns or logs
a key, and the object's repr says nothing about it.
"""

from __future__ import annotations

import hmac
import json

SUBJECT_SEPARATOR = "\x1f"  # between a subject key's table and its value (unit separator)
FINGERPRINT_HEX_DIGITS = 32

_CHAIN_LABEL = b"palata-audit/chain-signature/v1"
_SUBJECT_LABEL = b"palata-audit/subject/v1"
_PARAM_LABEL = b"palata-audit/parameter/v1"


def _derive(key: bytes, label: bytes) -> bytes:
    return _hmac(key, label)


def _hmac(key: bytes, data: bytes) -> bytes:
    # the one-shot C function: `hmac.new` builds a Python object per call, and these run
    # several times for every statement
    return hmac.digest(key, data, "sha256")


class AuditKeys:
    """The sub-keys derived from one audit key."""

    __slots__ = ("_chain", "_param", "_subject")

    def __init__(self, audit_key: bytes) -> None:
        if len(audit_key) < 32:
            raise ValueError("the audit key must be at least 32 bytes")
        self._chain = _derive(audit_key, _CHAIN_LABEL)
        self._subject = _derive(audit_key, _SUBJECT_LABEL)
        self._param = _derive(audit_key, _PARAM_LABEL)

    def __repr__(self) -> str:
        return "AuditKeys(<secret>)"

    def sign(self, message: str) -> str:
        """HMAC-SHA256 of `message` (a record's hash, or an anchor's text) under the chain key."""
        return _hmac(self._chain, message.encode()).hex()

    def signature_matches(self, message: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(message), signature)

    def subject_hmac(self, of_table: str, key_value: str) -> str:
        """The keyed fingerprint of one data subject: its subject table and key value (an IIN,
        a debtor id, ...). Equal inputs give equal outputs, so searches by subject work."""
        data = f"{of_table}{SUBJECT_SEPARATOR}{key_value}".encode()
        return _hmac(self._subject, data).hex()[:FINGERPRINT_HEX_DIGITS]

    def param_fingerprint(self, value: object) -> str:
        """The keyed fingerprint of one statement parameter: equal values (of the same JSON
        type) give equal fingerprints; the value cannot be read back."""
        data = _param_bytes(value)
        return _hmac(self._param, data).hex()[:FINGERPRINT_HEX_DIGITS]


def _param_bytes(value: object) -> bytes:
    # a type tag keeps the text '1' and the number 1 apart
    if isinstance(value, bytes | bytearray | memoryview):
        return b"b:" + bytes(value)
    if isinstance(value, str):
        return b"s:" + value.encode()
    return b"j:" + json.dumps(value, sort_keys=True, default=str).encode()
