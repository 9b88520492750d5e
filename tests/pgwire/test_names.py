"""A wire session's names: what each DECLARE, PREPARE, FETCH, EXECUTE, CLOSE and DEALLOCATE
would do to them, which are refused, and that nothing changes until the server confirms it — so
rows are never treated by another statement's plan."""

from __future__ import annotations

from dataclasses import replace

import pytest

from proxy.pgwire.names import Change, Prepared, SessionNames
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
    ("statement", "rows_of", "refused", "change"),
    [
        pytest.param(PlannedStatement("SELECT 1", OWN), "own", None, None, id="no-command"),
        pytest.param(command("declare", "d"), "own", None, ("P", "d", True), id="declare"),
        pytest.param(command("declare", "c"), None, "42P03", None, id="declare-held-name"),
        pytest.param(command("prepare", "t"), "own", None, ("S", "t", True), id="prepare"),
        pytest.param(command("prepare", "s"), None, "42P05", None, id="prepare-held-name"),
        pytest.param(command("fetch", "c"), "held", None, None, id="fetch"),
        pytest.param(command("fetch", "nope"), None, "34000", None, id="fetch-unknown"),
        pytest.param(command("move", "c"), "own", None, None, id="move"),
        pytest.param(command("execute", "s"), "held", None, None, id="execute"),
        pytest.param(command("execute", "c"), None, "34000", None, id="execute-a-cursor"),
        pytest.param(command("close", "c"), "own", None, ("P", "c", False), id="close"),
        pytest.param(command("close", None), "own", None, ("P", None, False), id="close-all"),
        pytest.param(command("deallocate", "s"), "own", None, ("S", "s", False),
                     id="deallocate"),
        pytest.param(command("deallocate", None), "own", None, ("S", None, False),
                     id="deallocate-all"),
    ],
)  # fmt: skip
def test_what_commands_would_do(
    statement: PlannedStatement,
    rows_of: str | None,
    refused: str | None,
    change: tuple[str, str | None, bool] | None,
) -> None:
    names = names_holding()
    plan, proposed, refusal = names.effect_of(statement, OWN)
    assert {"own": OWN, "held": HELD, None: None}[rows_of] is plan
    assert (refusal.sqlstate if refusal is not None else None) == refused
    made = None if proposed is None else (proposed.target, proposed.name, bool(proposed.entry))
    assert made == change
    assert set(names.portals) == {"c", "kept"} and set(names.statements) == {"s"}, "unchanged"


@pytest.mark.parametrize(
    ("change", "confirmed", "portals"),
    [
        pytest.param(Change("P", "c", None), True, {"kept"}, id="close-done"),
        pytest.param(Change("P", "c", None), False, {"c", "kept"}, id="close-skipped"),
        pytest.param(Change("P", None, None), True, set(), id="close-all-done"),
        pytest.param(Change("P", "d", Prepared("x", HELD)), True, {"c", "d", "kept"},
                     id="declare-done"),
        pytest.param(Change("P", "d", Prepared("x", HELD)), False, {"c", "kept"},
                     id="declare-refused"),
    ],
)  # fmt: skip
def test_a_change_takes_effect_when_the_server_confirms_it(
    change: Change, confirmed: bool, portals: set[str]
) -> None:
    names = names_holding()
    change = names.propose(change)
    names.sync_sent()  # the batch that drops it is on its way
    assert names.holds("P", "c"), "a name being dropped still exists"
    (names.confirm if confirmed else names.discard)(change)
    assert set(names.portals) == portals and not names.pending


def test_a_name_being_made_is_used_by_what_follows_and_cannot_be_made_twice() -> None:
    names = SessionNames()
    made = names.propose(Change("P", "d", Prepared("x", HELD)))
    assert names.get("P", "d") is made.entry
    _, _, refusal = names.effect_of(command("declare", "d"), OWN)
    assert refusal is not None and refusal.sqlstate == "42P03"


def test_a_name_dropped_in_this_batch_can_be_made_again_in_it() -> None:
    """Should the drop fail, the server skips the rest of the batch, the new making too."""
    names = names_holding()
    names.propose(Change("P", "c", None))
    _, change, refusal = names.effect_of(command("declare", "c"), OWN)
    assert refusal is None and change is not None
    names.sync_sent()
    names.propose(Change("P", "kept", None))
    names.sync_sent()
    _, _, refusal = names.effect_of(command("declare", "kept"), OWN)
    assert refusal is not None, "dropped in an earlier batch, not confirmed yet: still held"


def test_a_refused_unnamed_statement_leaves_none() -> None:
    """The server drops the old unnamed statement before parsing the new one."""
    names = names_holding()
    names.statements[""] = Prepared("old", HELD)
    names.discard(names.propose(Change("S", "", Prepared("new", HELD))))
    assert "" not in names.statements


def test_a_binary_cursor_is_fetched_in_binary() -> None:
    names = SessionNames()
    names.confirm(names.propose(Change("P", "b", Prepared("x", HELD, formats=(1,)))))
    assert names.cursor_formats(command("fetch", "b")) == (1,)
    assert names.cursor_formats(PlannedStatement("SELECT 1", OWN)) is None


def test_only_cursors_with_hold_outlive_their_transaction() -> None:
    names = names_holding()
    ended_at = names.sync_sent()
    names.confirm(names.propose(Change("P", "next", Prepared("bound after that Sync", HELD))))
    names.transaction_ended(ended_at)
    assert set(names.portals) == {"kept", "next"} and set(names.statements) == {"s"}
