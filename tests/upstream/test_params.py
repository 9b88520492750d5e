"""JSON parameter values converted by the statement's inferred types, without loss."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from proxy.upstream.params import InvalidParameter, convert_parameters

UID = "12345678-1234-5678-1234-567812345678"


@pytest.mark.parametrize(
    ("value", "type_name", "expected"),
    [
        pytest.param(7, "int4", 7, id="int"),
        pytest.param("7", "int8", 7, id="int-from-string"),
        pytest.param(
            "12345678901234567890.12",
            "numeric",
            Decimal("12345678901234567890.12"),
            id="numeric-string-exact",
        ),
        pytest.param(0.1, "numeric", Decimal("0.1"), id="numeric-from-float-repr"),
        pytest.param(1.5, "float8", 1.5, id="float"),
        pytest.param("Алматы", "text", "Алматы", id="text"),
        pytest.param(True, "bool", True, id="bool"),
        pytest.param("2026-11-25", "date", dt.date(2026, 11, 25), id="date"),
        pytest.param(
            "2026-11-25T10:00:00+05:00",
            "timestamptz",
            dt.datetime(2026, 11, 25, 10, tzinfo=dt.timezone(dt.timedelta(hours=5))),
            id="timestamptz",
        ),
        pytest.param("AP8=", "bytea", b"\x00\xff", id="bytea-base64"),
        pytest.param({"a": [1, 2]}, "jsonb", '{"a": [1, 2]}', id="jsonb"),
        pytest.param(UID, "uuid", uuid.UUID(UID), id="uuid"),
        pytest.param(None, "int4", None, id="null"),
    ],
)
def test_values_convert_by_type(value: object, type_name: str, expected: object) -> None:
    assert convert_parameters([value], [type_name]) == [expected]


@pytest.mark.parametrize(
    ("value", "type_name", "expected"),
    [
        pytest.param("seven", "int4", "$1 is not a valid int4", id="int-word"),
        pytest.param(True, "int4", "$1 is not a valid int4", id="bool-as-int"),
        pytest.param(1.5, "int4", "$1 is not a valid int4", id="float-as-int"),
        pytest.param("1,5", "numeric", "$1 is not a valid numeric", id="comma-numeric"),
        pytest.param(7, "text", "$1 is not a valid text", id="number-as-text"),
        pytest.param("yes", "bool", "$1 is not a valid bool", id="string-as-bool"),
        pytest.param("25.11.2026", "date", "$1 is not a valid date", id="local-date"),
        pytest.param("not base64!", "bytea", "$1 is not a valid bytea", id="bytea"),
        pytest.param("lexeme", "tsvector", "does not accept", id="unsupported-type"),
    ],
)
def test_bad_values_are_refused_without_echo(value: object, type_name: str, expected: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        convert_parameters([value], [type_name])
    assert expected in caught.value.message
    assert caught.value.sqlstate == "22023"
    assert str(value) not in caught.value.message


def test_parameter_count_must_match() -> None:
    with pytest.raises(InvalidParameter, match="has 2 parameter"):
        convert_parameters([1], ["int4", "text"])
