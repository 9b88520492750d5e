"""What a column's name (and type) suggests."""

from __future__ import annotations

import pytest

from proxy.discovery.hints import name_hint, name_only_hint
from proxy.policy.masks import Kind


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        pytest.param("iin", Kind.IIN, id="iin"),
        pytest.param("head_iin", Kind.IIN, id="prefixed"),
        pytest.param("phone_alt", Kind.PHONE, id="suffixed"),
        pytest.param("homeAddress", Kind.ADDRESS, id="camel-case"),
        pytest.param("last_name", Kind.LAST_NAME, id="last-name"),
        pytest.param("head_name", Kind.FULL_NAME, id="head-name"),
        pytest.param("birth_date", Kind.BIRTH_DATE, id="birth-date"),
        pytest.param("hire_date", Kind.EMPLOYMENT, id="hire-date"),
        pytest.param("id_doc_number", Kind.ID_DOCUMENT, id="document"),
        pytest.param("name", None, id="bare-name"),
        pytest.param("taxpayer_name", None, id="organisation-name"),
        pytest.param("id_doc_issued", None, id="document-date"),
        pytest.param("employer_id", None, id="foreign-key"),
    ],
)
def test_name_hint(column: str, kind: Kind | None) -> None:
    assert name_hint(column) == kind


@pytest.mark.parametrize(
    ("column", "category", "kind"),
    [
        pytest.param("birth_date", "D", Kind.BIRTH_DATE, id="birth-date-date"),
        pytest.param("birth_date", "N", None, id="birth-date-number"),
        pytest.param("sex", "S", Kind.SEX, id="sex"),
        pytest.param("salary", "N", Kind.SALARY, id="salary"),
        pytest.param("salary", "S", None, id="salary-text"),
        pytest.param("position", "S", Kind.EMPLOYMENT, id="position"),
        pytest.param("phone", "S", None, id="value-kind-not-name-only"),
    ],
)
def test_name_only_hint(column: str, category: str, kind: Kind | None) -> None:
    assert name_only_hint(column, category) == kind
