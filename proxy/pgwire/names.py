"""What a wire session's names stand for: prepared statements and portals (cursors), each with
the text the client sent and the plan the proxy made for it (pure).

PostgreSQL keeps one namespace of prepared statements (protocol Parse and SQL PREPARE) and one
of portals (protocol Bind and SQL DECLARE). The session mirrors both, so every Bind, Execute,
FETCH or EXECUTE finds the plan its rows must be treated by (hidden columns off, masks on, the
audit's subjects). A change to a name is only *proposed* when its message is relayed and takes
effect when the server confirms it (ParseComplete, BindComplete, CloseComplete, the command's
CommandComplete): the server may skip a message (after an error, up to Sync) or refuse it, and
the mirror must never believe a name gone, or re-pointed, while the server still holds the old
one. A name the session holds (or is about to) cannot be declared, prepared or bound again, and
a name it does not hold cannot be used, so rows are never treated by another statement's plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from proxy.errors import ProxyError
from proxy.pgwire.errors import DuplicateCursor, StatementExists, UnknownName
from proxy.pipeline.plan import StatementPlan
from proxy.pipeline.wire_plan import PlannedStatement

BINARY = (1,)  # one result format for every column: binary


@dataclass
class Prepared:
    """A statement or portal as the client named it: its own text and the proxy's plan."""

    text: str
    plan: StatementPlan | None
    formats: tuple[int, ...] = ()  # a portal's result formats
    params: tuple[object, ...] = ()  # a portal's parameters (for the audit's fingerprints)
    holdable: bool = False  # a cursor declared WITH HOLD outlives its transaction
    syncs_before: int = 0  # how many Syncs (or Queries) the session had sent when it was made
    effect: Change | None = None  # a parsed DECLARE/PREPARE/CLOSE/DEALLOCATE: what running it does


@dataclass(frozen=True, eq=False)
class Change:
    """A name made or dropped by a message the server has yet to confirm."""

    target: Target  # "S": prepared statements, "P": portals and cursors
    name: str | None  # None: every name (CLOSE ALL, DEALLOCATE ALL)
    entry: Prepared | None  # None: the name goes away
    batch: int = field(default=-1, compare=False)  # the Syncs sent before it was proposed


Target = Literal["S", "P"]


@dataclass
class SessionNames:
    statements: dict[str, Prepared] = field(default_factory=dict)  # as the server confirmed
    portals: dict[str, Prepared] = field(default_factory=dict)
    pending: list[Change] = field(default_factory=list)  # relayed, not yet confirmed
    syncs: int = 0  # Syncs and Queries sent so far: where transactions can have ended

    def sync_sent(self) -> int:
        """Count a Sync (or simple Query) on its way; its number, for `transaction_ended`."""
        self.syncs += 1
        return self.syncs

    def get(self, target: Target, name: str) -> Prepared | None:
        """The entry a name stands for: the newest proposal making it, else the confirmed one.
        (A proposal the server then refuses made the messages after it, up to Sync, skipped.)"""
        for change in reversed(self.pending):
            if change.target == target and change.name == name and change.entry is not None:
                return change.entry
        return self._confirmed(target).get(name)

    def holds(self, target: Target, name: str) -> bool:
        """Whether making the name again must be refused: it exists or is being made. A name
        being dropped still exists, unless it is dropped in the batch now being relayed: should
        the drop fail, the server skips the rest of the batch, the new making included."""
        for change in reversed(self.pending):
            if change.target != target or change.name not in (name, None):
                continue
            if change.entry is None:
                return change.batch != self.syncs
            return change.name == name
        return name in self._confirmed(target)

    def propose(self, change: Change) -> Change:
        if change.entry is not None and change.target == "P":
            change.entry.syncs_before = self.syncs
        made = replace(change, batch=self.syncs)
        self.pending.append(made)
        return made

    def confirm(self, change: Change) -> None:
        """The server did it."""
        self._settle(change)
        names = self._confirmed(change.target)
        if change.entry is not None and change.name is not None:
            names[change.name] = change.entry
        elif change.name is None:
            names.clear()
        else:
            names.pop(change.name, None)

    def discard(self, change: Change) -> None:
        """The server refused or skipped it. An unnamed statement or portal is gone even so:
        the server drops the old one before making the new."""
        self._settle(change)
        if change.entry is not None and change.name == "":
            self._confirmed(change.target).pop("", None)

    def simple_query_sent(self) -> None:
        """A simple Query destroys the unnamed statement and portal."""
        self.statements.pop("", None)
        self.portals.pop("", None)

    def effect_of(
        self, statement: PlannedStatement, plan: StatementPlan
    ) -> tuple[StatementPlan | None, Change | None, ProxyError | None]:
        """What running `statement` returns rows by (a FETCH reads its cursor's plan, an
        EXECUTE its statement's) and what it does to the names (to propose when it runs); or
        why it is refused (a name the session holds already, or does not hold)."""
        command = statement.command
        if command is None:
            return plan, None, None
        name = command.name or ""
        if command.verb == "declare":
            if self.holds("P", name):
                return None, None, DuplicateCursor(f'cursor "{name}" already exists')
            formats = BINARY if command.binary else ()
            cursor = Prepared(command.held or statement.text, plan, formats, (), command.holdable)
            return plan, Change("P", name, cursor), None
        if command.verb == "prepare":
            if self.holds("S", name):
                return None, None, StatementExists(f'prepared statement "{name}" already exists')
            prepared = Prepared(command.held or statement.text, plan)
            return plan, Change("S", name, prepared), None
        if command.verb in ("fetch", "move", "execute"):
            held = self.get("S" if command.verb == "execute" else "P", name)
            if held is None or held.plan is None:
                return None, None, UnknownName(f'"{name}" does not exist in this session')
            return (plan if command.verb == "move" else held.plan), None, None
        target: Target = "P" if command.verb == "close" else "S"
        return plan, Change(target, command.name, None), None

    def cursor_formats(self, statement: PlannedStatement) -> tuple[int, ...] | None:
        """The result formats of the cursor a FETCH reads (binary for DECLARE BINARY)."""
        command = statement.command
        if command is None or command.verb != "fetch":
            return None
        cursor = self.get("P", command.name or "")
        return cursor.formats if cursor is not None else None

    def transaction_ended(self, at_sync: int) -> None:
        """The server was idle when it answered Sync number `at_sync`: portals and cursors made
        before that Sync, unless declared WITH HOLD, ended with their transaction (those made
        after it, by a client that pipelines, belong to the next one)."""
        ended = [n for n, p in self.portals.items() if not p.holdable and p.syncs_before < at_sync]
        for name in ended:
            del self.portals[name]

    def _confirmed(self, target: Target) -> dict[str, Prepared]:
        return self.statements if target == "S" else self.portals

    def _settle(self, change: Change) -> None:
        if any(c is change for c in self.pending):
            self.pending = [c for c in self.pending if c is not change]
