"""The one request type both doors translate their input into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from proxy.identity.principals import Principal

Door = Literal["http", "pgwire"]


@dataclass(frozen=True)
class QueryRequest:
    principal: Principal
    purpose: str
    sql: str
    params: tuple[object, ...]
    door: Door
    client_address: str | None
