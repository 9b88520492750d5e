"""Redaction of free text: what must disappear, and what must stay."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from proxy.detection.redact import Redactor

IIN = "850101300124"  # valid check digit
NOT_IIN = "850101300123"  # same shape, wrong check digit: a contract number, not personal data


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize(
    ("text", "gone", "placeholder"),
    [
        pytest.param(f"Поручитель Назерке, ИИН {IIN}.", IIN, "<KZ_IIN>", id="iin-ru"),
        pytest.param(f"Қарыз алушы ЖСН: {IIN}", IIN, "<KZ_IIN>", id="iin-kk"),
        pytest.param(
            "тел. +7 701 123 45 67, звонить вечером",
            "123 45 67",
            "<PHONE_NUMBER>",
            id="phone-spaced",
        ),
        pytest.param("номер 8 (701) 123-45-67", "123-45-67", "<PHONE_NUMBER>", id="phone-8"),
        pytest.param("WhatsApp +77011234567", "77011234567", "<PHONE_NUMBER>", id="phone-e164"),
        pytest.param("пишите на serik7592@mail.kz", "serik7592", "<EMAIL_ADDRESS>", id="email"),
    ],
)
def test_personal_data_is_replaced(
    redactor: Redactor, text: str, gone: str, placeholder: str
) -> None:
    redacted = redactor.redact(text)
    assert gone not in redacted
    assert placeholder in redacted


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"Договор № {NOT_IIN} от 14.09.2023", id="contract-number"),
        pytest.param("Оплата 88500 KZT до 30.11.2026", id="amount-and-date"),
        pytest.param("Қарыз бойынша келісім жоқ.", id="plain-kazakh"),
    ],
)
def test_other_text_is_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text


async def test_redact_all_runs_off_the_loop_and_keeps_nulls(redactor: Redactor) -> None:
    assert await redactor.redact_all([None, f"ИИН {IIN}"]) == [None, "ИИН <KZ_IIN>"]


def test_no_network_is_touched(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("redaction tried to reach the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    fresh = Redactor()
    assert "<EMAIL_ADDRESS>" in fresh.redact("mail: a.b@example.kz")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param(
            "Жұмыс берушісі туралы ақпарат: Новикова Мария Сергеевна, тел.",
            ["Новикова", "Мария"],
            id="russian-name-in-kazakh-text",
        ),
        pytest.param(
            "Получатель: Өтеғұлова Әйгерім Қайратқызы, г. Шымкент",
            ["Өтеғұлова", "Әйгерім"],
            id="kazakh-letters",
        ),
        pytest.param(
            "Звонил Сергей Петров, просил перезвонить", ["Сергей", "Петров"], id="russian"
        ),
    ],
)
def test_person_names_are_replaced(redactor: Redactor, text: str, names: list[str]) -> None:
    redacted = redactor.redact(text)
    assert "<PERSON>" in redacted
    for name in names:
        assert name not in redacted
