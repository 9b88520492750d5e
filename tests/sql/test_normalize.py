"""The audit's text of a statement: no literal survives, wherever PostgreSQL's normaliser does
not look, and no comment either."""

from __future__ import annotations

import pytest

from proxy.sql.normalize import normalize_statement

IIN = "570913378601"  # a synthetic IIN of the red-team fixture


@pytest.mark.parametrize(
    ("sql", "kept"),
    [
        pytest.param(f"SELECT id FROM debtors WHERE iin = '{IIN}'",
                     "SELECT id FROM debtors WHERE iin = $1", id="select"),
        pytest.param(f"PREPARE p AS SELECT id FROM debtors WHERE iin = '{IIN}' AND id > 5",
                     "PREPARE p AS SELECT id FROM debtors WHERE iin = $1 AND id > $2",
                     id="prepare-body"),
        pytest.param(f"EXECUTE p('{IIN}', 7)", "EXECUTE p($1, $2)", id="execute-arguments"),
        pytest.param(f"SELECT $1, '{IIN}'", "SELECT $1, $2", id="after-parameters"),
        pytest.param(f"SELECT 1 /* {IIN} */ -- {IIN}", "SELECT $1", id="comments"),
        pytest.param(f"DECLARE c CURSOR FOR SELECT x'1F', E'{IIN}', 2.5",
                     "DECLARE c CURSOR FOR SELECT $1, $2, $3", id="other-literals"),
    ],
)  # fmt: skip
def test_no_literal_is_kept(sql: str, kept: str) -> None:
    text = normalize_statement(sql).text
    assert text == kept
    assert IIN not in text
