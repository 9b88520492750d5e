"""Principal attribute values as SQL literal nodes, for row filters.

Part of the decide step. A value reaches the rewritten statement only as a pglast A_Const node
(or an array literal cast to bigint[]), which the deparser quotes, so a region named
`O'Brien` or `'; DROP TABLE x; --` stays one string constant and can never become SQL. Values
that no literal can carry the same way on every server (NUL, backslash) are refused.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from proxy.errors import AccessDenied

AttributeValue = str | int | list[int]

_INT4 = range(-(2**31), 2**31)


def literal(name: str, value: object) -> Any:
    """The literal node for attribute `name`; AccessDenied for a value that cannot be one."""
    if isinstance(value, bool):
        return ast.A_Const(val=ast.Boolean(boolval=value))
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, str):
        # NUL cannot be in a PostgreSQL string; a backslash is left out so that the literal
        # means the same whatever the server's standard_conforming_strings says
        if "\0" in value or "\\" in value:
            raise _unusable(name)
        return ast.A_Const(val=ast.String(sval=value))
    if isinstance(value, list | tuple) and all(_plain_int(item) for item in value):
        text = "{" + ",".join(str(item) for item in value) + "}"
        return ast.TypeCast(arg=ast.A_Const(val=ast.String(sval=text)), typeName=_BIGINT_ARRAY)
    raise _unusable(name)


def _plain_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(value: int) -> Any:
    if value in _INT4:
        return ast.A_Const(val=ast.Integer(ival=value))
    # pglast keeps integers beyond int4 as numeric text, as PostgreSQL's own parser does
    return ast.A_Const(val=ast.Float(fval=str(value)))


def _unusable(name: str) -> AccessDenied:
    return AccessDenied(f"principal attribute '{name}' has a value a row filter cannot use")


_BIGINT_ARRAY = ast.TypeName(
    names=(ast.String(sval="pg_catalog"), ast.String(sval="int8")),
    arrayBounds=(ast.Integer(ival=-1),),
)
