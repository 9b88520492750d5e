"""Turning JSON parameter values into what the database expects for each `$n`.

The database infers each parameter's type from the statement; JSON has only strings, numbers,
booleans and null. Values are converted by the inferred type without loss (a numeric arrives as a
string or a number and becomes a Decimal, never a float). A value that does not fit is refused
with 22023 naming the parameter and the type, never repeating the value.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

from proxy.errors import ProxyError


class InvalidParameter(ProxyError):
    sqlstate = "22023"  # invalid_parameter_value
    http_status = 400


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError
    number = Decimal(str(value))
    if not number.is_finite() and not isinstance(value, str):
        raise ValueError
    return number


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError
    return float(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _iso(parse: Callable[[str], object]) -> Callable[[object], object]:
    def convert(value: object) -> object:
        if not isinstance(value, str):
            raise ValueError
        return parse(value)

    return convert


def _bytea(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError
    return base64.b64decode(value, validate=True)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _uuid(value: object) -> uuid.UUID:
    return uuid.UUID(_text(value))


CONVERTERS: dict[str, Callable[[object], object]] = {
    **dict.fromkeys(("int2", "int4", "int8", "oid"), _integer),
    "numeric": _decimal,
    **dict.fromkeys(("float4", "float8"), _float),
    **dict.fromkeys(("text", "varchar", "bpchar", "name", "char", "citext"), _text),
    "bool": _boolean,
    "date": _iso(dt.date.fromisoformat),
    "time": _iso(dt.time.fromisoformat),
    **dict.fromkeys(("timestamp", "timestamptz"), _iso(dt.datetime.fromisoformat)),
    "bytea": _bytea,
    **dict.fromkeys(("json", "jsonb"), _json),
    "uuid": _uuid,
}

CONVERSION_ERRORS = (ValueError, TypeError, InvalidOperation, binascii.Error, OverflowError)


def convert_parameters(values: Sequence[object], type_names: Sequence[str]) -> list[object]:
    """The values converted for the inferred parameter types; refuses a wrong count or type."""
    if len(values) != len(type_names):
        raise InvalidParameter(
            f"the statement has {len(type_names)} parameter(s) but {len(values)} value(s) "
            "were given in 'params'"
        )
    return [_convert(i + 1, v, t) for i, (v, t) in enumerate(zip(values, type_names, strict=True))]


def _convert(position: int, value: object, type_name: str) -> object:
    if value is None:
        return None
    converter = CONVERTERS.get(type_name)
    if converter is None:
        raise InvalidParameter(
            f"parameter ${position} has type {type_name}, which the HTTP door does not accept; "
            "cast it in the statement (for example $1::text)"
        )
    try:
        return converter(value)
    except CONVERSION_ERRORS:
        raise InvalidParameter(f"parameter ${position} is not a valid {type_name} value") from None
