"""Building the search query (pure): values only as bind parameters, and filters refused early."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from proxy.audit.search import Cursor, InvalidSearch, SearchFilter, build_query, parse_moment

SNEAKY = "x' OR TRUE --"


@pytest.mark.parametrize(
    ("search", "fragment", "args"),
    [
        pytest.param(SearchFilter(), "WHERE TRUE", (101,), id="nothing"),
        pytest.param(SearchFilter(principal=SNEAKY), "principal = $1", (SNEAKY, 101), id="who"),
        pytest.param(SearchFilter(role="dpo"), "$1 = ANY (roles)", ("dpo", 101), id="role"),
        pytest.param(
            SearchFilter(table="public.debtors", column="iin", decision="clear"),
            "access @> $1::text::jsonb",
            ('[{"table": "public.debtors", "column": "iin", "decision": "clear"}]', 101),
            id="one-access-element",
        ),
        pytest.param(
            SearchFilter(subjects=()), "subjects && $1::text[]", ([], 101), id="no-subject"
        ),
        pytest.param(
            SearchFilter(limit=5, after=Cursor(datetime(2026, 1, 1, tzinfo=UTC), "i", 7)),
            "(at, instance, seq) < ($1, $2, $3)",
            (datetime(2026, 1, 1, tzinfo=UTC), "i", 7, 6),
            id="cursor",
        ),
    ],
)
def test_values_are_bound_never_pasted(
    search: SearchFilter, fragment: str, args: tuple[object, ...]
) -> None:
    query = build_query(search)
    assert fragment in query.sql
    assert query.args == args
    assert SNEAKY not in query.sql
    assert query.sql.endswith(f"LIMIT ${len(args)}")


@pytest.mark.parametrize(
    ("oldest_first", "order", "comparison"),
    [
        pytest.param(False, "DESC", "<", id="newest-first"),
        pytest.param(True, "ASC", ">", id="oldest"),
    ],
)
def test_order_and_cursor_direction_agree(oldest_first: bool, order: str, comparison: str) -> None:
    cursor = Cursor(datetime(2026, 1, 1, tzinfo=UTC), "i", 1)
    sql = build_query(SearchFilter(after=cursor, oldest_first=oldest_first)).sql
    assert f"ORDER BY at {order}, instance {order}, seq {order}" in sql
    assert f"(at, instance, seq) {comparison} (" in sql


def test_parameters_are_numbered_in_order() -> None:
    search = SearchFilter(
        principal="a",
        role="b",
        purpose="c",
        outcome="denied",
        table="public.t",
        since=datetime(2026, 1, 1, tzinfo=UTC),
        until=datetime(2026, 2, 1, tzinfo=UTC),
        subjects=("h",),
    )
    query = build_query(search)
    numbers = [int(n) for n in re.findall(r"\$(\d+)", query.sql)]
    assert numbers == list(range(1, len(query.args) + 1))


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"limit": 0}, id="limit-zero"),
        pytest.param({"limit": 1001}, id="limit-over-1000"),
        pytest.param({"decision": "maybe"}, id="decision"),
        pytest.param({"outcome": "ok"}, id="outcome"),
        pytest.param({"since": datetime(2026, 1, 1)}, id="naive-time"),
    ],
)
def test_malformed_filters_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidSearch) as refused:
        SearchFilter(**fields)  # type: ignore[arg-type]
    assert (refused.value.sqlstate, refused.value.http_status) == ("22023", 400)


def test_the_default_limit_is_100() -> None:
    assert SearchFilter().limit == 100


def test_a_cursor_survives_its_text_form() -> None:
    cursor = Cursor(datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC), "palata-proxy", 42)
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("not base64!", id="garbage"),
        pytest.param("WzEsMl0", id="wrong-shape"),
        pytest.param("WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiaSIsMV0", id="naive-time"),
    ],
)
def test_a_forged_cursor_is_refused(token: str) -> None:
    with pytest.raises(InvalidSearch, match="cursor"):
        Cursor.decode(token)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-03-02T09:00:00Z", datetime(2026, 3, 2, 9, tzinfo=UTC), id="zulu"),
        pytest.param("2026-03-02T14:00:00+05:00", datetime(2026, 3, 2, 9, tzinfo=UTC), id="almaty"),
        pytest.param("2026-03-02", datetime(2026, 3, 2, tzinfo=UTC), id="date-as-utc"),
    ],
)
def test_times_are_iso_8601(text: str, expected: datetime) -> None:
    assert parse_moment(text, "since") == expected


def test_a_malformed_time_is_refused() -> None:
    with pytest.raises(InvalidSearch, match="'since' must be an ISO 8601 time"):
        parse_moment("yesterday", "since")
