"""Each structured type: what is found (exact span and type), and what is left alone."""

from __future__ import annotations

import pytest

from proxy.detection.engine import Detector
from proxy.detection.payments import has_valid_luhn
from proxy.kz.numbers import NumberKind, kind_of
from proxy.kz.phones import is_kazakh_national_number

IIN = "850215312346"  # valid, birth date 1985-02-15, male
BIN = "940140000385"  # valid, registered 1994-01, resident legal entity
UNSHAPED = "851315312342"  # valid check digit, month 13: neither an IIN nor a BIN shape
CONTRACT = "850215312347"  # IIN shape, wrong check digit
IBAN = "KZ86125KZT5004100100"
CARD = "4000001234567899"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def found(detector: Detector, text: str) -> list[tuple[str, str]]:
    """(type, covered text) for each structured finding; names are another module's concern."""
    return [
        (f.entity_type, text[f.start : f.end])
        for f in detector.find(text)
        if f.entity_type != "PERSON"
    ]


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        pytest.param(IIN, NumberKind.IIN, id="iin"),
        pytest.param("000229500424", NumberKind.IIN, id="iin-29-february"),
        pytest.param("900515300908", NumberKind.IIN, id="iin-second-weight-pass"),
        pytest.param(BIN, NumberKind.BIN, id="bin"),
        pytest.param("190751007772", NumberKind.BIN, id="bin-non-resident-branch"),
        pytest.param(UNSHAPED, NumberKind.UNSHAPED, id="valid-digit-no-shape"),
        pytest.param("900101001234", NumberKind.UNSHAPED, id="century-digit-0"),
        pytest.param(CONTRACT, None, id="wrong-check-digit"),
        pytest.param("900515300910", None, id="never-issued-body"),
    ],
)
def test_kind_of_twelve_digits(number: str, kind: NumberKind | None) -> None:
    assert kind_of(number) is kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"ИИН {IIN}", [("KZ_IIN", IIN)], id="iin-labelled"),
        pytest.param(f"Должник {IIN} звонил", [("KZ_IIN", IIN)], id="iin-by-shape-alone"),
        pytest.param(f"ИИН{IIN}", [("KZ_IIN", IIN)], id="iin-glued-to-cyrillic-label"),
        pytest.param(f"БИН {BIN}", [("KZ_BIN", BIN)], id="bin-labelled"),
        pytest.param(f"ИИН/БИН: {BIN}", [("KZ_BIN", BIN)], id="bin-by-shape-under-mixed-label"),
        pytest.param(f"БСН {IIN}", [("KZ_IIN", IIN)], id="sole-trader-iin-under-bin-label"),
        pytest.param(f"ЖСН: {UNSHAPED}", [("KZ_IIN", UNSHAPED)], id="unshaped-iin-label"),
        pytest.param(f"БИН {UNSHAPED}", [("KZ_BIN", UNSHAPED)], id="unshaped-bin-label"),
        pytest.param(f"договор № {UNSHAPED}", [], id="unshaped-unlabelled"),
        pytest.param(f"ИИН {CONTRACT}", [], id="wrong-check-digit-even-labelled"),
        pytest.param(f"договор № {CONTRACT}", [], id="contract-number"),
        pytest.param(f"A{IIN}", [], id="glued-to-latin-letter"),
        pytest.param(f"1{IIN}", [], id="inside-longer-number"),
        pytest.param(f"{IIN}7", [], id="thirteen-digits"),
        pytest.param(f"ИИН {IIN[:6]} {IIN[6:]}", [], id="split-by-space"),
    ],
)
def test_iin_and_bin(detector: Detector, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"счёт {IBAN}", [("IBAN_CODE", IBAN)], id="iban"),
        pytest.param(
            "ИИК KZ86 125K ZT50 0410 0100 в НБРК",
            [("IBAN_CODE", "KZ86 125K ZT50 0410 0100")],
            id="iban-groups-of-four",
        ),
        pytest.param(
            "KZ738861203456789012",
            [("IBAN_CODE", "KZ738861203456789012")],
            id="iban-all-digits-no-iin-inside",
        ),
        pytest.param("счёт KZ87125KZT5004100100", [], id="iban-wrong-mod-97"),
        pytest.param("счёт KZ86125KZT500410010", [], id="iban-19-characters"),
        pytest.param("счёт KZ86125KZT50041001001", [], id="iban-21-characters"),
        pytest.param(f"карта {CARD}", [("CREDIT_CARD", CARD)], id="card"),
        pytest.param(
            "карта 4000 0012 3456 7899", [("CREDIT_CARD", "4000 0012 3456 7899")], id="card-spaced"
        ),
        pytest.param(
            "карта 5100-0098-7654-3215", [("CREDIT_CARD", "5100-0098-7654-3215")], id="card-dashed"
        ),
        pytest.param("карта 4000001234567890", [], id="card-luhn-fails"),
        pytest.param("счёт 0000001234567899", [], id="luhn-but-no-card-scheme"),
        pytest.param("карта 4000 0012 3456 789", [], id="card-15-digits-luhn-fails"),
    ],
)
def test_iban_and_card(detector: Detector, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("тел. 8 (701) 123-45-67", ["8 (701) 123-45-67"], id="mobile-8-brackets"),
        pytest.param("+7 701 123 45 67", ["+7 701 123 45 67"], id="mobile-plus7-spaced"),
        pytest.param("+77011234567,", ["+77011234567"], id="mobile-e164"),
        pytest.param("87471234567", ["87471234567"], id="mobile-8-whole"),
        pytest.param("77081234567", ["77081234567"], id="mobile-bare-7"),
        pytest.param("+7-775-123-45-67", ["+7-775-123-45-67"], id="mobile-dashes"),
        pytest.param("8 (7172) 55-66-77", ["8 (7172) 55-66-77"], id="landline-astana"),
        pytest.param("+7 727 250 12 34", ["+7 727 250 12 34"], id="landline-almaty"),
        pytest.param("тел. 701 123 45 67", ["701 123 45 67"], id="no-prefix-after-label"),
        pytest.param("wa.me/77011234567", ["77011234567"], id="whatsapp-link"),
        pytest.param("нөмірі+77011234567", ["+77011234567"], id="glued-to-cyrillic"),
        pytest.param("+7 (495) 123-45-67", [], id="russian-moscow"),
        pytest.param("+7 916 123 45 67", [], id="russian-mobile"),
        pytest.param("8 800 555 35 35", [], id="russian-toll-free"),
        pytest.param("сумма 7011234567 тенге", [], id="ten-digits-no-prefix-no-label"),
        pytest.param("870112345678", [], id="twelve-digits"),
        pytest.param("A87011234567", [], id="glued-to-latin"),
    ],
)
def test_phone_numbers(detector: Detector, text: str, expected: list[str]) -> None:
    assert found(detector, text) == [("PHONE_NUMBER", p) for p in expected]


@pytest.mark.parametrize(
    ("national", "kazakh"),
    [
        pytest.param("7011234567", True, id="kcell"),
        pytest.param("7501234567", True, id="750-in-issue-ranges"),
        pytest.param("7851234567", True, id="785"),
        pytest.param("7172556677", True, id="astana"),
        pytest.param("7721234567", False, id="772-unallocated"),
        pytest.param("9161234567", False, id="russia-916"),
        pytest.param("4951234567", False, id="moscow"),
        pytest.param("701123456", False, id="nine-digits"),
    ],
)
def test_kazakh_national_numbers(national: str, kazakh: bool) -> None:
    assert is_kazakh_national_number(national) is kazakh


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("пишите на serik7592@mail.kz", ["serik7592@mail.kz"], id="plain"),
        pytest.param("почта:ivanov@mail.ruтел", ["ivanov@mail.ru"], id="cyrillic-glued-both-sides"),
        pytest.param(
            "(a.b-c_d+tag@sub.example.kz).", ["a.b-c_d+tag@sub.example.kz"], id="punctuation-around"
        ),
        pytest.param("адрес a..b@mail.kz", [], id="double-dot"),
        pytest.param("user@localhost", [], id="no-top-level-domain"),
        pytest.param("user@mail.k", [], id="one-letter-tld"),
        pytest.param("кіру@пошта.қаз", [], id="cyrillic-address-not-covered"),
    ],
)
def test_email_addresses(detector: Detector, text: str, expected: list[str]) -> None:
    assert found(detector, text) == [("EMAIL_ADDRESS", e) for e in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("удостоверение личности № 045123456", ["045123456"], id="id-card-ru"),
        pytest.param("уд. личности 045123456 выдано МВД", ["045123456"], id="id-card-short"),
        pytest.param("жеке куәлік № 045123456", ["045123456"], id="id-card-kk"),
        pytest.param("паспорт гражданина РК N12345678", ["N12345678"], id="passport"),
        pytest.param("төлқұжат N12345678", ["N12345678"], id="passport-kk"),
        pytest.param("заказ № 045123456", [], id="nine-digits-without-label"),
        pytest.param("N12345678 указан в заявке", [], id="passport-shape-without-label"),
        pytest.param("паспорт № 04512345", [], id="eight-digits"),
    ],
)
def test_identity_documents(detector: Detector, text: str, expected: list[str]) -> None:
    assert found(detector, text) == [("KZ_ID_DOCUMENT", d) for d in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            f"ИИН {IIN}, тел. +77011234567, счёт {IBAN}",
            [("KZ_IIN", IIN), ("PHONE_NUMBER", "+77011234567"), ("IBAN_CODE", IBAN)],
            id="several-in-order",
        ),
        pytest.param(
            "Сумма 1 250 000 тенге, дело № 7199-24-00-2/123 от 12.03.2024",
            [],
            id="amounts-dates-case-numbers",
        ),
    ],
)
def test_mixed_text(detector: Detector, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4000001234567899", True), ("4000001234567890", False), ("79927398713", True)],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert has_valid_luhn(digits) is valid
