"""The shape of one value: kinds the detector does not see, and the parts of a name."""

from __future__ import annotations

import pytest

from proxy.discovery.shapes import identifier_kind, name_part, shape_kind
from proxy.policy.masks import Kind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param("KZ227220189217470539", Kind.IBAN, id="iban"),
        pytest.param("KZ227220189217470538", None, id="iban-bad-check"),
        pytest.param("002537781", Kind.ID_DOCUMENT, id="id-card"),
        pytest.param("N63419713", Kind.ID_DOCUMENT, id="passport"),
        pytest.param("040800", Kind.POSTCODE, id="postcode-old"),
        pytest.param("X79R8X8", Kind.POSTCODE, id="postcode-kazpost"),
        pytest.param("г. Шымкент, ул. Мангилик Ел, д. 76, кв. 167", Kind.ADDRESS, id="address-ru"),
        pytest.param("г. Алматы, ул. Мухтара Ауэзова 127-169", Kind.ADDRESS, id="address-compact"),
        pytest.param("Астана қ., Абай даңғылы, 12-үй, 5-пәтер", Kind.ADDRESS, id="address-kk"),
        pytest.param("г. Астана, мкр Восток-1, д. 86, кв. 73", Kind.ADDRESS, id="address-mkr"),
        pytest.param("Районный суд № 3 г. Павлодар", None, id="court-not-address"),
        pytest.param("Шымкент", None, id="city-not-address"),
        pytest.param("9116412845", None, id="payment-reference"),
        pytest.param("ДС-21/0025", None, id="contract-number"),
        pytest.param("3615159/24", None, id="proceeding-number"),
    ],
)
def test_shape_kind(value: str, kind: Kind | None) -> None:
    assert shape_kind(value) == kind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param("591126447228", Kind.IIN, id="iin-day-tens"),
        pytest.param("211140723131", Kind.BIN, id="bin-entity-kind-4"),
        pytest.param("950640274543", Kind.BIN, id="bin-entity-kind-6"),
    ],
)
def test_identifier_kind(value: str, kind: Kind) -> None:
    assert identifier_kind(value) == kind


@pytest.mark.parametrize(
    ("value", "part"),
    [
        pytest.param("Жүнісова Ұлжан Хамитовна", Kind.FULL_NAME, id="full"),
        pytest.param("Асылбекұлы", Kind.PATRONYMIC, id="patronymic-kk"),
        pytest.param("Омирзаковна", Kind.PATRONYMIC, id="patronymic-ru"),
        pytest.param("Толегенова", Kind.LAST_NAME, id="surname"),
        pytest.param("Ковальский", Kind.LAST_NAME, id="surname-skiy"),
        pytest.param("Тілек", Kind.FIRST_NAME, id="given"),
    ],
)
def test_name_part(value: str, part: Kind) -> None:
    assert name_part(value) == part
