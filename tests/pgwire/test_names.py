"""A wire session's names: what each DECLARE, PREPARE, FETCH, EXECUTE, CLOSE and DEALLOCATE
does to them, and which are refused so rows are never treated by another statement's plan."""

from __future__ import annotations

from dataclasses import replace

import pytest

from proxy.pgwire.names import Prepared, SessionNames
from proxy.pipeline.plan import StatementPlan
from proxy.pipeline.subjects import NO_SUBJECTS
from proxy.pipeline.wire_commands import WireCommand
from proxy.pipeline.wire_plan import PlannedStatement

HELD = StatementPlan(
    "SELECT held", "select", True, False, (), (), (), NO_SUBJECTS, (), (), True, ()
)
OWN = replace(HELD, sql="the command's own text", kind="fetch")


def names_holding() -> SessionNames:
    names = SessionNames()
    names.portals["c"] = Prepared("DECLARE c ...", HELD)
    names.portals["kept"] = Prepared("DECLARE kept ... WITH HOLD", HELD, holdable=True)
    names.statements["s"] = Prepared("PREPARE s ...", HELD)
    return names


def command(verb: str, name: str | None, **flags: bool) -> PlannedStatement:
    return PlannedStatement("(text)", OWN, command=WireCommand(verb, name, **flags))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statement", "rows_of", "refused", "portals", "statements"),
    [
        pytest.param(PlannedStatement("SELECT 1", OWN), "own", None, {"c", "kept"}, {"s"},
                     id="no-command"),
        pytest.param(command("declare", "d"), "own", None, {"c", "d", "kept"}, {"s"},
                     id="declare"),
        pytest.param(command("declare", "c"), None, "42P03", {"c", "kept"}, {"s"},
                     id="declare-held-name"),
        pytest.param(command("prepare", "t"), "own", None, {"c", "kept"}, {"s", "t"},
                     id="prepare"),
        pytest.param(command("prepare", "s"), None, "42P05", {"c", "kept"}, {"s"},
                     id="prepare-held-name"),
        pytest.param(command("fetch", "c"), "held", None, {"c", "kept"}, {"s"}, id="fetch"),
        pytest.param(command("fetch", "nope"), None, "34000", {"c", "kept"}, {"s"},
                     id="fetch-unknown"),
        pytest.param(command("move", "c"), "own", None, {"c", "kept"}, {"s"}, id="move"),
        pytest.param(command("execute", "s"), "held", None, {"c", "kept"}, {"s"}, id="execute"),
        pytest.param(command("execute", "c"), None, "34000", {"c", "kept"}, {"s"},
                     id="execute-a-cursor"),
        pytest.param(command("close", "c"), "own", None, {"kept"}, {"s"}, id="close"),
        pytest.param(command("close", None), "own", None, set(), {"s"}, id="close-all"),
        pytest.param(command("deallocate", "s"), "own", None, {"c", "kept"}, set(),
                     id="deallocate"),
        pytest.param(command("deallocate", None), "own", None, {"c", "kept"}, set(),
                     id="deallocate-all"),
    ],
)  # fmt: skip
def test_commands(
    statement: PlannedStatement,
    rows_of: str | None,
    refused: str | None,
    portals: set[str],
    statements: set[str],
) -> None:
    names = names_holding()
    plan, refusal = names.apply(statement, OWN)
    assert {"own": OWN, "held": HELD, None: None}[rows_of] is plan
    assert (refusal.sqlstate if refusal is not None else None) == refused
    assert set(names.portals) == portals and set(names.statements) == statements


def test_a_binary_cursor_is_fetched_in_binary() -> None:
    names = SessionNames()
    names.apply(command("declare", "b", binary=True), OWN)
    assert names.cursor_formats(command("fetch", "b")) == (1,)
    assert names.cursor_formats(PlannedStatement("SELECT 1", OWN)) is None


def test_only_cursors_with_hold_outlive_their_transaction() -> None:
    names = names_holding()
    ended_at = names.sync_sent()
    names.bind("next", Prepared("bound after that Sync, by a pipelining client", HELD))
    names.transaction_ended(ended_at)
    assert set(names.portals) == {"kept", "next"} and set(names.statements) == {"s"}
