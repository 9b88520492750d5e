"""What the upstream's next answers belong to: one expectation per message the session sent.

PostgreSQL answers the messages of a session in order, so the session queues an expectation
for each message it relays before relaying it, and the upstream's answers are matched against
the head of the queue (`proxy.pgwire.relay`). After an ErrorResponse the server ignores
everything up to the next Sync (extended protocol) or ends the simple query, so the
expectations it will never answer are dropped with it. Pure data: no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from proxy.errors import ProxyError
from proxy.pgwire.names import Change
from proxy.pgwire.results import ResultBuffer
from proxy.pipeline.output_masks import CatalogueGap
from proxy.pipeline.pipeline import Started
from proxy.pipeline.plan import StatementPlan
from proxy.pipeline.request import QueryRequest


@dataclass
class Run:
    """One statement run: a statement of a simple query, or an Execute of a portal. Its rows
    are buffered until it completes and its audit record is durable."""

    request: QueryRequest | None  # None: a refused statement (its refusal is recorded already)
    plan: StatementPlan | None
    buffer: ResultBuffer
    started: Started
    refusal: ProxyError | None = None  # the statement was replaced by one that fails
    portal: str | None = None  # the portal an Execute runs (None: a simple query's statement)
    gaps: list[CatalogueGap] = field(default_factory=list)  # the tripwire's findings
    change: Change | None = None  # what the statement does to the names, once it completes
    simple: bool = False  # a statement of a simple Query (or the Query standing for FunctionCall)


@dataclass
class ParseStep:
    name: str
    plan: StatementPlan | None
    refusal: ProxyError | None
    change: Change | None = None
    request: QueryRequest | None = None  # for the audit, should the server refuse it
    started: Started = (datetime.min, 0.0)


@dataclass
class BindStep:
    portal: str
    statement: str
    refusal: ProxyError | None = None  # the Bind was sent so that the server refuses it
    change: Change | None = None
    request: QueryRequest | None = None  # for the audit, should the server refuse it
    plan: StatementPlan | None = None
    started: Started = (datetime.min, 0.0)


@dataclass
class DescribeStep:
    plan: StatementPlan | None  # of the statement or portal described
    name: str
    statement: bool = True  # Describe S answers ParameterDescription first
    swallow: bool = False  # the proxy's own Describe: its answer is kept, not sent on


@dataclass
class CloseStep:
    target: str  # "S" or "P"
    name: str
    change: Change | None = None


@dataclass
class SyncStep:
    """Sync, or the end of a simple query: answered by ReadyForQuery."""

    number: int  # the session's count of Syncs and Queries sent, this one included
    simple: bool = False


Expectation = Run | ParseStep | BindStep | DescribeStep | CloseStep | SyncStep


@dataclass
class Expectations:
    """The queue, in the order the messages were relayed."""

    items: list[Expectation] = field(default_factory=list)

    def add(self, item: Expectation) -> None:
        self.items.append(item)

    @property
    def head(self) -> Expectation | None:
        return self.items[0] if self.items else None

    def pop(self) -> Expectation:
        return self.items.pop(0)

    def drop_until_sync(self, simple: bool) -> list[Expectation]:
        """After an error the server answers nothing more of that simple Query (`simple`), or
        nothing up to the next Sync — a Query sent inside that extended batch included, which
        the server ignores as well: those expectations go unanswered; they are returned."""
        dropped: list[Expectation] = []
        while self.items:
            head = self.items[0]
            if isinstance(head, SyncStep) and (simple or not head.simple):
                break
            dropped.append(self.items.pop(0))
        return dropped
