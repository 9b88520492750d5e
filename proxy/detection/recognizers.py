"""The set of Presidio recognizers the proxy runs, one instance per language.

Structured data is found by the proxy's own recognizers (regular expression, then check digit,
structure or context; `identifiers`, `contacts`, `payments`); person names by natasha (`names`).
The rules do not depend on the language, but Presidio picks recognizers by the language asked
for, so each is registered for Russian, Kazakh and English.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from proxy.detection.contacts import KzPhoneRecognizer, OfflineEmailRecognizer
from proxy.detection.identifiers import KzIdDocumentRecognizer, KzIinBinRecognizer
from proxy.detection.names import NatashaPersonRecognizer
from proxy.detection.payments import CardNumberRecognizer, KzIbanRecognizer

LANGUAGES = ("ru", "kk", "en")

STRUCTURED_TYPES = (
    "KZ_IIN",
    "KZ_BIN",
    "IBAN_CODE",
    "CREDIT_CARD",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "KZ_ID_DOCUMENT",
)
ENTITY_TYPES = (*STRUCTURED_TYPES, "PERSON")

__all__ = [
    "ENTITY_TYPES",
    "LANGUAGES",
    "STRUCTURED_TYPES",
    "CardNumberRecognizer",
    "KzIbanRecognizer",
    "KzIdDocumentRecognizer",
    "KzIinBinRecognizer",
    "KzPhoneRecognizer",
    "OfflineEmailRecognizer",
    "kz_recognizers",
]


def kz_recognizers(language: str) -> list[EntityRecognizer]:
    return [
        KzIinBinRecognizer(language),
        KzIbanRecognizer(language),
        CardNumberRecognizer(language),
        OfflineEmailRecognizer(language),
        KzPhoneRecognizer(language),
        KzIdDocumentRecognizer(language),
        NatashaPersonRecognizer(language),
    ]
