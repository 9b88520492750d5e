"""A statement's template: its text with each literal made a placeholder, the literals apart.

Clients of the simple protocol (psql, `pgbench -M simple`, drivers that put values into the
text) send a new text for every value, so a plan cached by its text is never used twice. Texts
that differ only in their literals share one template. The template is planned once: its `$n`
stand where the extended protocol's parameters stand, which a client may bind to any value, so
a plan made for the template holds for every literal put in their place, and each text's own
literals are put back into the plan's rewritten SQL (`Fillable`). Two places where PostgreSQL
reads a literal otherwise than a parameter are excluded (`has_positional_placeholder`):
`ORDER BY 2`, `GROUP BY 2` and `DISTINCT ON (2)` name an output column, `$2` there is a value.
A literal the grammar takes only as a literal (`interval '1 day'`) leaves a template that does
not parse: such texts are planned as they are.

Only pglast's scanner (the lexer, linear in the text, not the parser) reads the text here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pglast import ast, parser
from pglast.visitors import Visitor

from proxy.sql.normalize import LITERALS

PLACEHOLDER = "PARAM"


@dataclass(frozen=True, slots=True)
class Template:
    text: str  # the statement with `$1`, `$2`, ... in place of its literals, in order
    kinds: tuple[str, ...]  # each literal's token kind (ICONST, SCONST, ...), in order


@dataclass(frozen=True, slots=True)
class Templated:
    """A text split into its template and its literals."""

    template: Template
    literals: tuple[str, ...]  # each literal token's own text, quotes included: personal data


def templated(sql: str, max_length: int) -> Templated | None:
    """`sql` as template and literals; None when it holds no literal, holds placeholders of its
    own (a Parse's `$n`: its values come apart already) or is longer than `max_length`."""
    if len(sql) > max_length:
        return None
    pieces: list[str] = []
    kinds: list[str] = []
    literals: list[str] = []
    cursor = 0
    for token in parser.scan(sql):
        if token.name == PLACEHOLDER:
            return None
        if token.name in LITERALS:
            literals.append(sql[token.start : token.end + 1])  # the scanner's ends are inclusive
            kinds.append(token.name)
            pieces += [sql[cursor : token.start], f"${len(literals)}"]
            cursor = token.end + 1
    if not literals:
        return None
    pieces.append(sql[cursor:])
    return Templated(Template("".join(pieces), tuple(kinds)), tuple(literals))


@dataclass(frozen=True, slots=True)
class Fillable:
    """A text made from a template (a statement's span, a plan's rewritten SQL), cut at its
    placeholders so that each text's literals are put in by joining."""

    pieces: tuple[str, ...]  # one more than `slots`
    slots: tuple[int, ...]  # for each cut, the literal's index

    def fill(self, literals: Sequence[str]) -> str:
        parts = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            parts += [literals[slot], piece]
        return "".join(parts)


def fillable(text: str, count: int) -> Fillable:
    """`text` cut at its placeholders; ValueError for one beyond the template's `count`
    literals (a text that was not made from the template alone)."""
    pieces: list[str] = []
    slots: list[int] = []
    cursor = 0
    for token in parser.scan(text):
        if token.name != PLACEHOLDER:
            continue
        number = int(text[token.start + 1 : token.end + 1])
        if not 1 <= number <= count:
            raise ValueError(f"placeholder ${number} is not one of the template's {count}")
        pieces.append(text[cursor : token.start])
        slots.append(number - 1)
        cursor = token.end + 1
    pieces.append(text[cursor:])
    return Fillable(tuple(pieces), tuple(slots))


def has_positional_placeholder(stmt: Any) -> bool:
    """Whether a placeholder stands where PostgreSQL reads an integer literal as an output
    column's position: an ORDER BY item (any, to be safe), a GROUP BY item or a member of its
    grouping sets, a DISTINCT ON item."""
    visitor = _Positional()
    visitor(stmt)
    return visitor.found


class _Positional(Visitor):
    def __init__(self) -> None:
        self.found = False

    def visit_SortBy(self, ancestors: Any, node: Any) -> None:
        self.found = self.found or isinstance(node.node, ast.ParamRef)

    def visit_SelectStmt(self, ancestors: Any, node: Any) -> None:
        items = (*(node.groupClause or ()), *(node.distinctClause or ()))
        self.found = self.found or any(_grouping_placeholder(item) for item in items)


def _grouping_placeholder(item: Any) -> bool:
    if isinstance(item, ast.ParamRef):
        return True
    if isinstance(item, ast.GroupingSet):
        return any(_grouping_placeholder(member) for member in item.content or ())
    if isinstance(item, ast.RowExpr):
        return any(_grouping_placeholder(member) for member in item.args or ())
    return False
