"""A statement's template: literals out, placeholders in, and back again."""

from __future__ import annotations

import pytest
from pglast import parse_sql

from proxy.sql.templates import (
    Template,
    fillable,
    has_positional_placeholder,
    reads_alike,
    templated,
)

IIN = "570913378601"  # a synthetic IIN of the red-team fixture


@pytest.mark.parametrize(
    ("sql", "template", "kinds", "literals"),
    [
        pytest.param(f"SELECT id FROM debtors WHERE iin = '{IIN}' AND id > -5",
                     "SELECT id FROM debtors WHERE iin = $1 AND id > -$2", ("SCONST", "ICONST"),
                     (f"'{IIN}'", "5"), id="string-and-number"),
        pytest.param("SELECT $$a'b$$, E'\\n', 'a'\n'b', 1.5e3",
                     "SELECT $1, $2, $3, $4", ("SCONST", "SCONST", "SCONST", "FCONST"),
                     ("$$a'b$$", "E'\\n'", "'a'\n'b'", "1.5e3"), id="quoting-forms"),
        pytest.param("SELECT 'Алматы' /* 'not a literal' */",
                     "SELECT $1 /* 'not a literal' */", ("SCONST",), ("'Алматы'",),
                     id="comment-and-cyrillic"),
    ],
)  # fmt: skip
def test_template_and_literals(
    sql: str, template: str, kinds: tuple[str, ...], literals: tuple[str, ...]
) -> None:
    split = templated(sql, 1000)
    assert split is not None
    assert split.template == Template(template, kinds)
    assert split.literals == literals
    assert fillable(split.template.text, len(literals)).fill(split.literals) == sql


@pytest.mark.parametrize(
    ("sql", "max_length"),
    [
        pytest.param("SELECT id FROM debtors", 1000, id="no-literal"),
        pytest.param("SELECT id FROM debtors WHERE id = $1 AND region = 'x'", 1000,
                     id="placeholders-of-its-own"),
        pytest.param("SELECT 1", 7, id="too-long"),
        pytest.param(f"SELECT id FROM debtors WHERE iin = '{IIN}", 1000, id="does-not-scan"),
        pytest.param("SELECT 0x1F", 1000, id="hexadecimal"),
        pytest.param("SELECT 1_000", 1000, id="underscores"),
        pytest.param("SELECT U&'d!0061' UESCAPE '!'", 1000, id="uescape"),
    ],
)  # fmt: skip
def test_texts_without_a_template(sql: str, max_length: int) -> None:
    assert templated(sql, max_length) is None


@pytest.mark.parametrize(
    ("sql", "alike"),
    [
        ("SELECT id FROM debtors WHERE id = 7 AND region = 'x'", True),
        ("SELECT N'x'", False),  # N$1 is one identifier
        ("SELECT date'2026-01-01'", False),
        ("SELECT 1.5e3, .5, 2.", True),
    ],
)
def test_a_template_reads_as_its_text_does(sql: str, alike: bool) -> None:
    split = templated(sql, 1000)
    assert split is not None
    assert reads_alike(split) == alike


def test_literals_go_back_into_rewritten_sql_as_one_operand_each() -> None:
    assert fillable("SELECT $1.*, $2[1]", 2, parenthesised=True).fill(["(2)", "'{3}'"]) == (
        "SELECT ((2)).*, ('{3}')[1]"
    )


def test_a_placeholder_the_template_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match=r"placeholder \$3"):
        fillable("SELECT $1, $3", 2)


@pytest.mark.parametrize(
    ("sql", "positional"),
    [
        ("SELECT a FROM t ORDER BY $1", True),
        ("SELECT count(*) FROM t GROUP BY $1", True),
        ("SELECT a FROM t GROUP BY GROUPING SETS (($1, a))", True),
        ("SELECT DISTINCT ON ($1) a FROM t", True),
        ("SELECT a FROM (SELECT a FROM t ORDER BY $1) s", True),
        ("SELECT array_agg(a ORDER BY $1) FROM t", True),  # not positional there: refused anyway
        ("SELECT a, b FROM t ORDER BY - -$1", True),  # PostgreSQL folds it into a position
        ("SELECT a, b FROM t ORDER BY -(-$1)", True),
        ("SELECT a FROM t GROUP BY ROLLUP (- -$1)", True),
        ("SELECT DISTINCT ON (- -$1) a, b FROM t", True),
        ("SELECT a FROM t ORDER BY a + $1", True),  # any depth: planned as the text is
        ("SELECT count(*) FROM t GROUP BY a || $1", True),
        ("SELECT a FROM t WHERE a > - -$1 ORDER BY a", False),
        ("SELECT DISTINCT a FROM t WHERE a = $1 LIMIT $2", False),
    ],
)
def test_placeholders_where_a_literal_names_a_column(sql: str, positional: bool) -> None:
    assert has_positional_placeholder(parse_sql(sql)[0].stmt) == positional
