"""Presidio recognizers for Kazakhstan's personal data in free text.

This set is what redaction needs first: IINs/BINs (12 digits with a valid check digit, so
contract numbers that fail it are left alone), phone numbers as Kazakhs write them, e-mail
addresses and person names (natasha, see `names`). IBANs, cards and documents come with the
detection issue.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer

from proxy.detection.names import NatashaPersonRecognizer
from proxy.kz.checksums import has_valid_check_digit

LANGUAGES = ("ru", "kk", "en")


class KzIinRecognizer(PatternRecognizer):
    """12 digits standing alone, kept only when the check digit is right."""

    PATTERNS: ClassVar[list[Pattern]] = [Pattern("12 digits", r"(?<![\d\w])\d{12}(?![\d\w])", 0.3)]
    CONTEXT: ClassVar[list[str]] = ["иин", "жсн", "iin", "бин", "бсн", "bin"]

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entity="KZ_IIN",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=supported_language,
        )

    def validate_result(self, pattern_text: str) -> bool:
        return has_valid_check_digit(pattern_text)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern, validated without tldextract (which would go online)."""

    def validate_result(self, pattern_text: str) -> bool:
        domain = pattern_text.rpartition("@")[2]
        top = domain.rpartition(".")[2]
        return len(top) >= 2 and top.isalpha()


def kz_recognizers(language: str) -> list[EntityRecognizer]:
    return [
        KzIinRecognizer(language),
        OfflineEmailRecognizer(supported_language=language),
        NatashaPersonRecognizer(language),
        PhoneRecognizer(
            supported_language=language,
            supported_regions=("KZ",),
            context=["тел", "телефон", "номер", "нөмір", "phone"],
        ),
    ]
