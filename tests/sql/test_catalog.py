"""The catalogue snapshot as a value: lookups, shadow detection, and a content-derived version."""

from __future__ import annotations

import pytest
from pglast import ast

from proxy.sql import (
    CatalogSnapshot,
    Column,
    Relation,
    StatementDenied,
    analyze_sql,
    build_snapshot,
)
from proxy.sql import expressions as expressions_module


def _snapshot(extra_column: bool = False) -> CatalogSnapshot:
    columns = [Column("id", 1, 23, -1, "integer")]
    if extra_column:
        columns.append(Column("iin", 2, 1042, 16, "character(12)"))
    return build_snapshot("db", [Relation("public", "t", "r", tuple(columns))])


def test_version_follows_content() -> None:
    assert _snapshot().version == _snapshot().version
    assert _snapshot().version != _snapshot(extra_column=True).version


def test_snapshot_is_hashable_and_looks_up() -> None:
    snapshot = _snapshot(extra_column=True)
    assert hash(snapshot) == hash(_snapshot(extra_column=True))
    relation = snapshot.relation("public", "t")
    assert relation is not None and relation.column("iin") is not None
    assert snapshot.relation("public", "missing") is None


def test_user_functions_named_ignores_system_schemas(catalog: CatalogSnapshot) -> None:
    assert catalog.user_functions_named("lower") == ()
    assert catalog.user_functions_named("length") == ("public",)


def test_search_path_decides_unqualified_names(catalog: CatalogSnapshot) -> None:
    ((_, analysis),) = analyze_sql("SELECT iin FROM debtors", catalog, search_path=("archive",))
    assert [(r.schema, r.name) for r in analysis.relations] == [("archive", "debtors")]


def test_an_analyser_bug_refuses_the_statement(
    catalog: CatalogSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise KeyError("880101300123")  # a message that could quote a literal

    monkeypatch.setitem(expressions_module._HANDLERS, ast.A_Const, broken)
    with pytest.raises(StatementDenied) as caught:
        analyze_sql("SELECT 1", catalog)
    assert "KeyError" in caught.value.message and "8801" not in caught.value.message
