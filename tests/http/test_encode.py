"""Result values to JSON without loss, and the success body's shape."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from decimal import Decimal
from typing import Any

import pytest

from proxy.http.encode import json_value, result_body
from proxy.upstream.results import ResultColumn, ResultSet

UTC5 = dt.timezone(dt.timedelta(hours=5))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="null"),
        pytest.param(2**62, 2**62, id="bigint-stays-a-number"),
        pytest.param(Decimal("12345678901234567890.01"), "12345678901234567890.01", id="numeric"),
        pytest.param(1.25, 1.25, id="float"),
        pytest.param(math.inf, "inf", id="infinity"),
        pytest.param(dt.date(2026, 11, 25), "2026-11-25", id="date"),
        pytest.param(
            dt.datetime(2026, 11, 25, 9, 30, tzinfo=UTC5),
            "2026-11-25T09:30:00+05:00",
            id="timestamptz",
        ),
        pytest.param(b"\x00\xff", "AP8=", id="bytea"),
        pytest.param([1, [2, None]], [1, [2, None]], id="nested-array"),
        pytest.param((1, "Алматы", Decimal("1.5")), [1, "Алматы", "1.5"], id="composite"),
        pytest.param({"a": Decimal("1")}, {"a": "1"}, id="json-object"),
        pytest.param(uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001", id="uuid"),
    ],
)
def test_json_value(value: Any, expected: Any) -> None:
    assert json_value(value) == expected
    json.dumps(json_value(value), allow_nan=False)  # always valid strict JSON


def test_result_body_flags_masked_columns_by_position() -> None:
    result = ResultSet(
        (ResultColumn("iin", "bpchar", 1042), ResultColumn("iin", "bpchar", 1042)),
        [("********2345", "850215312345")],
        "SELECT 1",
    )
    body = result_body(result, [True, False], "a-1")
    assert [c["masked"] for c in body["columns"]] == [True, False]
    assert body["row_count"] == 1
    assert body["audit_id"] == "a-1"
    with pytest.raises(ValueError, match="one masked flag per result column"):
        result_body(result, [True], None)
