"""What becomes of the personal data found in a value: the redaction operators (pure).

The policy names the operator per column (`proxy.policy.MaskOperator`):

- replace (`redact`): each finding becomes `<TYPE>`: `<PERSON>`, `<KZ_IIN>`, …;
- partial (`redact_partial`): each finding keeps its shape and a little of itself: digits but
  the last four become `*` (separators stay), a name keeps each word's initial, an e-mail
  keeps the first character of its local part and its domain;
- pseudonym (`pseudonym`): each finding becomes `<TYPE:token>`, the token a keyed
  HMAC-SHA256 of the normalised value, so the same person, IIN or phone gets the same token in
  every query, in every column and inside free text alike: analysts can still count and join,
  and nobody without the key can go back. The key never leaves the `Pseudonymiser`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

from proxy.detection.engine import Finding
from proxy.detection.redact import merge_overlapping, replace_findings

TOKEN_HEX_DIGITS = 12  # 48 bits: collisions are negligible at the Chamber's scale
MIN_KEY_BYTES = 32

DIGIT_TYPES = frozenset({"KZ_IIN", "KZ_BIN", "CREDIT_CARD", "KZ_ID_DOCUMENT"})


__all__ = [
    "Pseudonymiser",
    "normalise",
    "partial",
    "partially_mask_findings",
    "replace_findings",
]

_Operator = Callable[[Finding, str], str]  # a finding and its text -> what stands in its place


def partially_mask_findings(text: str, findings: Sequence[Finding]) -> str:
    return _rewrite(text, findings, lambda f, value: partial(f.entity_type, value))


def partial(entity_type: str, value: str) -> str:
    """`value` with most of it hidden, its separators and length kept."""
    if entity_type == "PERSON":
        return " ".join(word[:1] + "*" * (len(word) - 1) for word in value.split(" "))
    if entity_type == "EMAIL_ADDRESS":
        local, at, domain = value.partition("@")
        return local[:1] + "*" * (len(local) - 1) + at + domain
    # numbers and codes: every letter or digit but the last four
    kept = 4
    shown = []
    for char in reversed(value):
        if char.isalnum():
            shown.append(char if kept > 0 else "*")
            kept -= 1
        else:
            shown.append(char)
    return "".join(reversed(shown))


class Pseudonymiser:
    """Keyed, stable pseudonyms; the key is held here and nowhere else."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymiser(<key withheld>)"

    def token(self, entity_type: str, value: str) -> str:
        message = f"{entity_type}\x1f{normalise(entity_type, value)}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).hexdigest()
        return f"<{entity_type}:{digest[:TOKEN_HEX_DIGITS]}>"

    def pseudonymise_findings(self, text: str, findings: Sequence[Finding]) -> str:
        return _rewrite(text, findings, lambda f, value: self.token(f.entity_type, value))


def normalise(entity_type: str, value: str) -> str:
    """One spelling per value, so that `8 (701) 123-45-67` and `+77011234567` are one phone."""
    if entity_type in DIGIT_TYPES:
        return "".join(c for c in value if c.isdigit()) or value
    if entity_type == "PHONE_NUMBER":
        digits = "".join(c for c in value if c.isdigit())
        if len(digits) == 11 and digits[0] == "8":
            digits = "7" + digits[1:]
        return digits or value
    if entity_type == "IBAN_CODE":
        return "".join(value.split()).upper()
    return " ".join(value.split()).casefold()


def _rewrite(text: str, findings: Sequence[Finding], operator: _Operator) -> str:
    """`text` with each finding replaced by what `operator` makes of it (overlapping findings
    merged into one first, as `replace_findings` does)."""
    pieces: list[str] = []
    cursor = 0
    for finding in merge_overlapping(findings):
        pieces.append(text[cursor : finding.start])
        pieces.append(operator(finding, text[finding.start : finding.end]))
        cursor = finding.end
    pieces.append(text[cursor:])
    return "".join(pieces)
