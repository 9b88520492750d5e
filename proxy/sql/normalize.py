"""A statement as the audit trail keeps it: literals replaced by placeholders, comments removed.

The audit log must not become a second copy of the data, so every constant becomes `$n`
(PostgreSQL's own normaliser, through pglast) and comments, which can hold anything, are cut.
The fingerprint (pglast's) is equal for statements of equal shape whatever their constants.
Call these only on text the guard (`proxy.sql.guard.parse_statements`) accepted: the parser's
C code must not see what the guard refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import parser

COMMENTS = frozenset({"C_COMMENT", "SQL_COMMENT"})
LITERALS = frozenset({"SCONST", "USCONST", "ICONST", "FCONST", "BCONST", "XCONST"})


@dataclass(frozen=True)
class NormalizedStatement:
    text: str
    fingerprint: str


def normalize_statement(sql: str) -> NormalizedStatement:
    text = _without_literals(parser.normalize(sql))
    return NormalizedStatement(_without_comments(text), parser.fingerprint(sql))


def _without_literals(text: str) -> str:
    """PostgreSQL's normaliser leaves constants where it does not look (the query of a
    PREPARE, the arguments of an EXECUTE): any literal still there becomes a placeholder too."""
    tokens = list(parser.scan(text))
    numbers = [int(text[t.start + 1 : t.end + 1]) for t in tokens if t.name == "PARAM"]
    following = max(numbers, default=0)
    pieces: list[str] = []
    cursor = 0
    for token in tokens:
        if token.name in LITERALS:
            following += 1
            pieces += [text[cursor : token.start], f"${following}"]
            cursor = token.end + 1  # the scanner's ends are inclusive
    pieces.append(text[cursor:])
    return "".join(pieces)


def _without_comments(text: str) -> str:
    pieces: list[str] = []
    cursor = 0
    for token in parser.scan(text):
        if token.name in COMMENTS:
            pieces.append(text[cursor : token.start])
            pieces.append(" ")
            cursor = token.end + 1  # the scanner's ends are inclusive
    pieces.append(text[cursor:])
    return "".join(pieces).strip()
