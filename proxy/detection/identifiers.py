"""Recognizers for Kazakh identity numbers in free text: IIN, BIN and identity documents.

A 12-digit number is personal data only with a valid check digit; contract numbers, which fail
it, are left alone. Structure tells an IIN from a BIN (`proxy.kz.numbers`); a number with a valid
check digit but neither structure (an IIN issued after 2013, or a chance match) is taken only
when a label stands right before it. Identity cards (9 digits) and passports (N + 8 digits) have
no check digit at all, so they are taken only near a document word.
"""

from __future__ import annotations

import re

from proxy.detection.context import label_pattern, label_right_before, preceded_by
from proxy.detection.regex_recognizer import RegexRecognizer, Verdict
from proxy.kz.numbers import NumberKind, kind_of

# Digits or Latin letters glued on either side make a longer code (an account, a serial), not an
# IIN; Cyrillic letters may touch it, because people glue the label: "ИИН850215312346".
_NOT_GLUED_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_GLUED_AFTER = r"(?![0-9A-Za-z])"

IIN_LABELS = label_pattern("иин", "жсн", "iin")
BIN_LABELS = label_pattern("бин", "бсн", "bin")
_NUMBER_LABELS = {NumberKind.IIN.value: IIN_LABELS, NumberKind.BIN.value: BIN_LABELS}

DOCUMENT_LABELS = label_pattern(
    r"удостоверени\w*",
    r"удост\.",
    r"уд\.?\s*личн\w*",
    r"уд\.\s*л\.?",
    r"паспорт\w*",
    r"жеке\s+куәлі\w*",
    r"куәлі\w*",
    r"төлқұжат\w*",
    r"id\s*card",
    r"passport",
)


class KzIinBinRecognizer(RegexRecognizer):
    """12 digits with a valid check digit, typed KZ_IIN or KZ_BIN."""

    PATTERN = re.compile(rf"{_NOT_GLUED_BEFORE}\d{{12}}{_NOT_GLUED_AFTER}")
    ENTITIES = ("KZ_IIN", "KZ_BIN")

    def judge(self, text: str, match: re.Match[str]) -> Verdict | None:
        kind = kind_of(match.group())
        if kind is None:
            return None  # a contract or account number: the check digit fails
        if kind is not NumberKind.UNSHAPED:
            return Verdict(kind.value, 1.0)
        label = label_right_before(text, match.start(), _NUMBER_LABELS)
        return None if label is None else Verdict(label, 0.9)


class KzIdDocumentRecognizer(RegexRecognizer):
    """An identity card number (9 digits) or passport number (N + 8 digits) near its label."""

    PATTERN = re.compile(rf"{_NOT_GLUED_BEFORE}(?:[NnН]\d{{8}}|\d{{9}}){_NOT_GLUED_AFTER}")
    ENTITIES = ("KZ_ID_DOCUMENT",)

    def judge(self, text: str, match: re.Match[str]) -> Verdict | None:
        if not preceded_by(text, match.start(), DOCUMENT_LABELS):
            return None
        return Verdict("KZ_ID_DOCUMENT", 0.8)
