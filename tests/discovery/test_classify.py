"""A column's verdict from its sampled values, name and type (pure, with the real detector)."""

from __future__ import annotations

import pytest

from proxy.discovery.classify import Basis, classify_column
from proxy.discovery.detector import ScanDetector
from proxy.discovery.evidence import ColumnEvidence, ColumnInfo, gather_evidence
from proxy.policy.masks import Kind

IINS = ["591126447228", "851002424033", "790306457303", "631103330213", "040922517641"]
PHONES = ["+77021778536", "8 (708) 241-83-83", "+7 777 419 63 12", "8 771 943 4770", "87776532579"]
EMAILS = ["t.kabdolov@palata.kz", "lazzat@outlook.com", "info@altyn25.kz", "a@b.kz", "x.y@mail.ru"]
ADDRESSES = [
    "г. Алматы, мкр Шугыла-4, д. 48, кв. 168",
    "Туркестанская область, г. Туркестан, ул. Заречная, д. 188",
    "г. Конаев, пр. Наурызбай батыра, д. 193, кв. 172",
    "г. Алматы, ул. Мухтара Ауэзова 127-169",
    "Астана қ., Абай даңғылы, 12-үй, 5-пәтер",
]
NOTES = [
    "Должник Крылов Пётр Денисович обещал оплатить до конца месяца, тел. +7 701 123 45 67.",
    "Звонок без ответа, повторить завтра утром после десяти часов.",
    "Клиент сообщил новый адрес электронной почты: krylov.p@mail.ru, просит писать туда.",
    "Абонент недоступен, номер отключён, оставлено сообщение в мессенджере.",
    "Взыскание приостановлено до решения суда по заявлению должника.",
]
CONTRACTS = ["240825803310", "220216967439", "201923839099", "240825803311", "220216967430"]


def column(name: str, category: str = "S", type_name: str = "text") -> ColumnInfo:
    return ColumnInfo("public.t", name, type_name, category)


CASES = [
    # (id, column name, type category, values, expected kind, expected basis)
    ("iin-by-values", "code", "S", IINS * 4, Kind.IIN, Basis.VALUES),
    ("phone-by-values", "contact", "S", PHONES * 4, Kind.PHONE, Basis.VALUES),
    ("email-by-values", "contact", "S", EMAILS * 4, Kind.EMAIL, Basis.VALUES),
    ("address-by-shape", "line1", "S", ADDRESSES * 4, Kind.ADDRESS, Basis.VALUES),
    ("full-name", "person", "S", ["Иванов Иван Петрович", "Ахметова Алия Серікқызы"] * 5,
     Kind.FULL_NAME, Basis.VALUES),
    ("free-text", "note", "S", NOTES * 4, Kind.FREE_TEXT, Basis.VALUES),
    ("contract-numbers-are-not-iins", "contract_number", "S", CONTRACTS * 4, None, None),
    ("statuses", "status", "S", ["overdue", "closed", "in_court"] * 5, None, None),
    ("amounts", "amount", "N", ["566310.00", "13347880.00", "31300.00"] * 5, None, None),
    ("birth-date-by-name", "birth_date", "D", ["1985-10-02"] * 10, Kind.BIRTH_DATE,
     Basis.NAME_ONLY),
    ("salary-by-name", "salary", "N", ["394000.00"] * 10, Kind.SALARY, Basis.NAME_ONLY),
    ("empty-column-by-name", "email", "S", [], Kind.EMAIL, Basis.NAME_ONLY),
    ("few-values-all-agree", "x", "S", IINS[:3], Kind.IIN, Basis.VALUES),
    ("few-values-disagree", "x", "S", [IINS[0], "closed"], None, None),
    ("iin-in-integer-column", "code", "N", IINS * 2, Kind.IIN, Basis.VALUES),
    ("postcode-shape-only-in-text", "n", "N", ["040800", "050000"] * 5, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "category", "values", "kind", "basis"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_verdict(
    detector: ScanDetector,
    name: str,
    category: str,
    values: list[str],
    kind: Kind | None,
    basis: Basis | None,
) -> None:
    info = column(name, category)
    verdict = classify_column(info, gather_evidence(info, values, detector))
    assert (verdict.kind, verdict.basis) == (kind, basis), verdict.reason


def evidence(sampled: int, **whole: int) -> ColumnEvidence:
    counted = ColumnEvidence(sampled=sampled)
    for kind, count in whole.items():
        counted.whole[Kind(kind)] = count
    return counted


THRESHOLD_CASES = [
    # (id, column name, sampled, wholly-of-kind counts, expected kind)
    ("structured-at-60pc", "code", 100, {"phone": 60}, Kind.PHONE),
    ("structured-below-60pc", "reference", 100, {"phone": 59}, None),
    ("hinted-at-30pc", "phone", 100, {"phone": 30}, Kind.PHONE),
    ("hinted-below-30pc", "phone", 100, {"phone": 29}, None),
    ("hint-of-another-kind-does-not-help", "email", 100, {"phone": 40}, None),
    ("name-family-hinted", "first_name", 100, {"full_name": 35}, Kind.FIRST_NAME),
    ("higher-share-wins", "x", 100, {"iin": 65, "phone": 70}, Kind.PHONE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "sampled", "whole", "kind"),
    [pytest.param(*case[1:], id=case[0]) for case in THRESHOLD_CASES],
)
def test_thresholds(name: str, sampled: int, whole: dict[str, int], kind: Kind | None) -> None:
    assert classify_column(column(name), evidence(sampled, **whole)).kind == kind


def test_a_name_the_values_contradict_is_kept_as_a_doubt(detector: ScanDetector) -> None:
    info = column("phone")
    verdict = classify_column(info, gather_evidence(info, ["closed", "open"] * 5, detector))
    assert (verdict.kind, verdict.hint) == (None, Kind.PHONE)
    assert "do not show it" in verdict.reason
