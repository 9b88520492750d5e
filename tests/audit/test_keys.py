"""Keyed fingerprints: stable, separated per use and per type, and the key never shown."""

from __future__ import annotations

import pytest

from proxy.audit.keys import AuditKeys
from tests.audit.support import KEY, KEYS


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (KEYS.subject_hmac("public.debtors", "1"), KEYS.subject_hmac("public.debtors", "1"), True),
        (KEYS.subject_hmac("public.debtors", "1"), KEYS.subject_hmac("public.staff", "1"), False),
        (KEYS.param_fingerprint("1"), KEYS.param_fingerprint(1), False),
        (KEYS.param_fingerprint(None), KEYS.param_fingerprint("null"), False),
        (KEYS.param_fingerprint(b"x"), KEYS.param_fingerprint("x"), False),
        (KEYS.subject_hmac("a", "b"), AuditKeys(KEY + b"!").subject_hmac("a", "b"), False),
        (KEYS.sign("h"), KEYS.param_fingerprint("h"), False),
    ],
    ids=["same subject", "other table", "text vs number", "null vs text", "bytes vs text",
         "other key", "signature vs fingerprint"],
)  # fmt: skip
def test_fingerprints(left: str, right: str, equal: bool) -> None:
    assert (left == right) is equal


def test_the_key_is_never_shown() -> None:
    assert KEY.decode() not in repr(KEYS)
    assert "secret" in repr(KEYS)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        AuditKeys(b"short")
