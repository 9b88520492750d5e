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
not parse, and one glued to its neighbour (`N'x'`, `date'…'`) a template that scans otherwise
(`reads_alike`): such texts, numbers written other than in decimal (`0x1F`, `1_000`) and
`UESCAPE` are planned as they are. A literal put back into rewritten SQL is parenthesised, so
it stays one operand whatever the printer put beside its placeholder (`$1.*`, `$1[1]`).

Only pglast's scanner (the lexer, linear in the text, not the parser) reads the text here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pglast import ast, parser
from pglast.parser import ParseError
from pglast.visitors import Visitor

from proxy.sql.normalize import LITERALS

PLACEHOLDER = "PARAM"
NUMBERS = frozenset({"ICONST", "FCONST"})
DECIMAL = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # not 0x1F, 0o17, 0b1, 1_000
UNTEMPLATED = frozenset({"UESCAPE"})  # U&'…' UESCAPE '!' reads its escape from a literal


@dataclass(frozen=True, slots=True)
class Template:
    text: str  # the statement with `$1`, `$2`, ... in place of its literals, in order
    kinds: tuple[str, ...]  # each literal's token kind (ICONST, SCONST, ...), in order


@dataclass(frozen=True, slots=True)
class Templated:
    """A text split into its template and its literals."""

    template: Template
    literals: tuple[str, ...]  # each literal token's own text, quotes included: personal data
    tokens: tuple[str, ...]  # the text's token names, PARAM where a literal stood


def templated(sql: str, max_length: int) -> Templated | None:
    """`sql` as template and literals; None when it holds no literal, holds placeholders of its
    own (a Parse's `$n`: its values come apart already), does not scan, is longer than
    `max_length`, or holds what a template could not stand for (see the module's docstring)."""
    if len(sql) > max_length:
        return None
    try:
        tokens = parser.scan(sql)
    except ParseError:  # an unterminated quote, `123abc`: the guarded parse refuses it
        return None
    pieces: list[str] = []
    kinds: list[str] = []
    literals: list[str] = []
    names: list[str] = []
    cursor = 0
    for token in tokens:
        text = sql[token.start : token.end + 1]  # the scanner's ends are inclusive
        if token.name == PLACEHOLDER or token.name in UNTEMPLATED:
            return None
        if token.name in NUMBERS and not DECIMAL.fullmatch(text):
            return None
        if token.name in LITERALS:
            literals.append(text)
            kinds.append(token.name)
            pieces += [sql[cursor : token.start], f"${len(literals)}"]
            cursor = token.end + 1
        names.append(PLACEHOLDER if token.name in LITERALS else token.name)
    if not literals:
        return None
    pieces.append(sql[cursor:])
    template = Template("".join(pieces), tuple(kinds))
    return Templated(template, tuple(literals), tuple(names))


def reads_alike(split: Templated) -> bool:
    """Whether the template scans as its text does, a placeholder where each literal stood: a
    literal glued to the token before it (`N'x'`, `date'…'`) makes one identifier of both."""
    try:
        names = tuple(token.name for token in parser.scan(split.template.text))
    except ParseError:
        return False
    return names == split.tokens


@dataclass(frozen=True, slots=True)
class Fillable:
    """A text made from a template (a statement's span, a plan's rewritten SQL), cut at its
    placeholders so that each text's literals are put in by joining."""

    pieces: tuple[str, ...]  # one more than `slots`
    slots: tuple[int, ...]  # for each cut, the literal's index
    parenthesised: bool = False  # each literal put back as `(literal)`: one operand

    def fill(self, literals: Sequence[str]) -> str:
        parts = [self.pieces[0]]
        opening, closing = ("(", ")") if self.parenthesised else ("", "")
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            parts += [opening, literals[slot], closing, piece]
        return "".join(parts)


def fillable(text: str, count: int, *, parenthesised: bool = False) -> Fillable:
    """`text` cut at its placeholders; ValueError for one beyond the template's `count`
    literals (a text that was not made from the template alone). `parenthesised` for SQL the
    printer wrote around placeholders (a plan's rewritten SQL), where a literal put back as is
    could merge with what follows (`$1.*` read as `2.*`)."""
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
    return Fillable(tuple(pieces), tuple(slots), parenthesised)


def has_positional_placeholder(stmt: Any) -> bool:
    """Whether a placeholder stands, at any depth, in an ORDER BY item, a GROUP BY item (or its
    grouping sets) or a DISTINCT ON item: PostgreSQL reads an integer constant there as an
    output column's position, and folds `- -2` or `-(-2)` into one, so a placeholder anywhere
    inside such an item could become a position once its literal is back."""
    visitor = _Positional()
    visitor(stmt)
    return visitor.found


class _Positional(Visitor):
    def __init__(self) -> None:
        self.found = False

    def visit_SortBy(self, ancestors: Any, node: Any) -> None:
        self.found = self.found or _holds_placeholder(node.node)

    def visit_SelectStmt(self, ancestors: Any, node: Any) -> None:
        items = (*(node.groupClause or ()), *(node.distinctClause or ()))
        self.found = self.found or any(_holds_placeholder(item) for item in items)


class _Placeholders(Visitor):
    def __init__(self) -> None:
        self.found = False

    def visit_ParamRef(self, ancestors: Any, node: Any) -> None:
        self.found = True


def _holds_placeholder(node: Any) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.ParamRef):
        return True
    visitor = _Placeholders()
    visitor(node)
    return visitor.found
