"""Recognizers for payment details in free text: KZ IBANs and bank card numbers.

A KZ IBAN is 20 characters (KZ, two check digits, a 3-digit bank code, 13 account characters),
written whole or in groups of four, and kept only when its MOD 97-10 check holds. A card number
is 13 to 19 digits, whole or in groups of four separated by spaces or dashes, starting with a
scheme's digit (2 Mir/Mastercard, 3 Amex/JCB, 4 Visa, 5 Mastercard, 6 UnionPay) and passing Luhn.
"""

from __future__ import annotations

import re

from proxy.detection.regex_recognizer import RegexRecognizer, Verdict
from proxy.kz.checksums import is_valid_kz_iban

CARD_SCHEME_DIGITS = "23456"


def has_valid_luhn(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812-1): every second digit from the right doubled, sum mod 10."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class KzIbanRecognizer(RegexRecognizer):
    """A KZ IBAN, whole or in groups of four, with a valid MOD 97-10 check."""

    PATTERN = re.compile(
        r"(?<![0-9A-Za-z])KZ\d\d(?: ?[0-9A-Z]{4}){4}(?![0-9A-Za-z])", re.IGNORECASE
    )
    ENTITIES = ("IBAN_CODE",)

    def judge(self, text: str, match: re.Match[str]) -> Verdict | None:
        return Verdict("IBAN_CODE", 1.0) if is_valid_kz_iban(match.group()) else None


class CardNumberRecognizer(RegexRecognizer):
    """A payment card number (13-19 digits) passing Luhn."""

    PATTERN = re.compile(
        r"(?<![0-9A-Za-z])"
        r"(?:\d{13,19}|\d{4}(?:[ \-]\d{4}){2}[ \-]\d{1,7}|\d{4}[ \-]\d{6}[ \-]\d{5})"
        r"(?![0-9A-Za-z])"
    )
    ENTITIES = ("CREDIT_CARD",)

    def judge(self, text: str, match: re.Match[str]) -> Verdict | None:
        digits = re.sub(r"\D", "", match.group())
        if not 13 <= len(digits) <= 19 or digits[0] not in CARD_SCHEME_DIGITS:
            return None
        if len(set(digits)) == 1 or not has_valid_luhn(digits):
            return None
        return Verdict("CREDIT_CARD", 1.0)
