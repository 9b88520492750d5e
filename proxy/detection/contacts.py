"""Recognizers for contact details in free text: Kazakh phone numbers and e-mail addresses.

A phone number is a +7, 8 or bare 7 prefix and ten digits, with the spaces, brackets, dashes and
dots people put between them, or ten digits alone after a phone word ("тел. 701 123 45 67").
Only Kazakh numbers count (`proxy.kz.phones`): Russian numbers share +7 but not the ranges.
E-mail addresses are matched on ASCII only, so Cyrillic glued to either side ends the address,
and checked offline (no public-suffix list: it would be fetched from the internet).
"""

from __future__ import annotations

import re

from proxy.detection.context import label_pattern, preceded_by
from proxy.detection.regex_recognizer import RegexRecognizer, Verdict
from proxy.kz.phones import is_kazakh_national_number

_SEPARATOR = r"[ \t\u00a0\-().]"
PHONE_LABELS = label_pattern(
    r"тел\.?",
    r"телефон\w*",
    r"моб\.?",
    r"мобильн\w*",
    r"сотов\w*",
    r"номер\w*",
    r"нөмір\w*",
    r"байланыс\w*",
    r"whats\s*app",
    r"ватсап\w*",
    r"phone",
)


class KzPhoneRecognizer(RegexRecognizer):
    """A Kazakh phone number as people write it; Russian +7 numbers are left alone."""

    PATTERN = re.compile(
        r"(?<![0-9A-Za-z+])"
        rf"(?:(?P<prefix>\+\s?7|8|7){_SEPARATOR}{{0,3}})?"
        rf"(?P<national>\d(?:{_SEPARATOR}{{0,3}}\d){{9}})"
        r"(?![0-9A-Za-z])"
    )
    ENTITIES = ("PHONE_NUMBER",)

    def judge(self, text: str, match: re.Match[str]) -> Verdict | None:
        national = re.sub(r"\D", "", match.group("national"))
        if not is_kazakh_national_number(national):
            return None
        if match.group("prefix") is None and not preceded_by(text, match.start(), PHONE_LABELS):
            return None  # ten digits alone are as often an amount or a reference
        return Verdict("PHONE_NUMBER", 0.9)


class OfflineEmailRecognizer(RegexRecognizer):
    """An e-mail address with a letters-only top-level domain, checked without tldextract."""

    PATTERN = re.compile(
        r"(?<![A-Za-z0-9._%+\-])"
        r"[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
        r"(?![A-Za-z0-9\-])"
    )
    ENTITIES = ("EMAIL_ADDRESS",)

    def judge(self, text: str, match: re.Match[str]) -> Verdict | None:
        return None if ".." in match.group() else Verdict("EMAIL_ADDRESS", 1.0)
