"""Result values as JSON, without loss.

Integers and finite floats are JSON numbers; numerics are strings (a float would round them);
dates and times are ISO 8601; bytea is base64; arrays are lists; composite values (whole-row
references) are lists of their fields; JSON values are embedded as they are.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from aiohttp import web

from proxy.upstream.results import ResultSet

_dumps = partial(json.dumps, ensure_ascii=False)


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON response with Kazakh and Russian text as UTF-8, readable in a terminal."""
    return web.json_response(body, status=status, dumps=_dumps)


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if hasattr(value, "values") and callable(value.values):  # asyncpg.Record of a composite
        return [json_value(v) for v in value.values()]
    return str(value)  # network addresses, ranges, geometric types: their text form


def result_body(result: ResultSet, masked: Sequence[bool], audit_id: str | None) -> dict[str, Any]:
    """The HTTP door's success body; `masked[i]` says whether output column i carries masked
    data (columns may share a name, so this goes by position)."""
    if len(masked) != len(result.columns):
        raise ValueError("one masked flag per result column is required")
    return {
        "columns": [
            {"name": c.name, "type": c.type_name, "masked": flag}
            for c, flag in zip(result.columns, masked, strict=True)
        ],
        "rows": [[json_value(v) for v in row] for row in result.rows],
        "row_count": result.row_count,
        "audit_id": audit_id,
    }
