"""What a wire session's names stand for: prepared statements and portals (cursors), each with
the text the client sent and the plan the proxy made for it (pure).

PostgreSQL keeps one namespace of prepared statements (protocol Parse and SQL PREPARE) and one
of portals (protocol Bind and SQL DECLARE). The session mirrors both from the client's side as
it relays, so every Bind, Execute, FETCH or EXECUTE finds the plan its rows must be treated by
(hidden columns off, masks on, the audit's subjects). A name is never re-pointed while the
server may still hold the old one: declaring or preparing a name the session holds is refused,
and a name the session does not hold cannot be fetched or executed, so rows are never treated
by another statement's plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class SessionNames:
    statements: dict[str, Prepared] = field(default_factory=dict)
    portals: dict[str, Prepared] = field(default_factory=dict)
    syncs: int = 0  # Syncs and Queries sent so far: where transactions can have ended

    def sync_sent(self) -> int:
        """Count a Sync (or simple Query) on its way; its number, for `transaction_ended`."""
        self.syncs += 1
        return self.syncs

    def bind(self, name: str, portal: Prepared) -> None:
        portal.syncs_before = self.syncs
        self.portals[name] = portal

    def apply(
        self, statement: PlannedStatement, plan: StatementPlan
    ) -> tuple[StatementPlan | None, ProxyError | None]:
        """The plan of the rows `statement` returns, once a wire command in it (DECLARE,
        FETCH, PREPARE, EXECUTE, CLOSE, DEALLOCATE) has updated the names; or why it is
        refused (a name the session does not hold, or holds already)."""
        command = statement.command
        if command is None:
            return plan, None
        name = command.name or ""
        if command.verb == "declare":
            if name in self.portals:
                return None, DuplicateCursor(f'cursor "{name}" already exists')
            formats = BINARY if command.binary else ()
            self.bind(name, Prepared(statement.text, plan, formats, (), command.holdable))
        elif command.verb == "prepare":
            if name in self.statements:
                return None, StatementExists(f'prepared statement "{name}" already exists')
            self.statements[name] = Prepared(statement.text, plan)
        elif command.verb in ("fetch", "move", "execute"):
            held = (self.statements if command.verb == "execute" else self.portals).get(name)
            if held is None or held.plan is None:
                return None, UnknownName(f'"{name}" does not exist in this session')
            return (plan if command.verb == "move" else held.plan), None
        elif command.verb == "close":
            _forget(self.portals, command.name)
        elif command.verb == "deallocate":
            _forget(self.statements, command.name)
        return plan, None

    def cursor_formats(self, statement: PlannedStatement) -> tuple[int, ...] | None:
        """The result formats of the cursor a FETCH reads (binary for DECLARE BINARY)."""
        command = statement.command
        if command is None or command.verb != "fetch":
            return None
        cursor = self.portals.get(command.name or "")
        return cursor.formats if cursor is not None else None

    def transaction_ended(self, at_sync: int) -> None:
        """The server was idle when it answered Sync number `at_sync`: portals and cursors made
        before that Sync, unless declared WITH HOLD, ended with their transaction (those made
        after it, by a client that pipelines, belong to the next one)."""
        ended = [n for n, p in self.portals.items() if not p.holdable and p.syncs_before < at_sync]
        for name in ended:
            del self.portals[name]

    def forget_statement(self, name: str) -> None:
        self.statements.pop(name, None)

    def close(self, target: str, name: str) -> None:
        """The protocol's Close of a statement ("S") or portal ("P")."""
        (self.statements if target == "S" else self.portals).pop(name, None)

    def named(self, target: str, name: str) -> Prepared | None:
        """The statement ("S") or portal ("P") of that name."""
        return (self.statements if target == "S" else self.portals).get(name)


def _forget(names: dict[str, Prepared], name: str | None) -> None:
    if name is None:  # CLOSE ALL, DEALLOCATE ALL
        names.clear()
    else:
        names.pop(name, None)
