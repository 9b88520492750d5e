"""The pipeline every statement passes through, whichever door it came in by.

identify -> analyse -> decide -> rewrite -> execute -> redact -> audit -> detect. This version
holds the first step (identity and purpose); the statement policy engine is not part of it yet,
so `run` refuses every statement: the proxy denies what it cannot decide.
"""

from __future__ import annotations

from typing import NoReturn

from proxy.errors import AccessDenied
from proxy.pipeline.purpose import resolve_purpose
from proxy.pipeline.request import QueryRequest

__all__ = ["Pipeline", "QueryRequest", "resolve_purpose"]


class Pipeline:
    async def run(self, request: QueryRequest) -> NoReturn:
        raise AccessDenied(
            "statement refused: no statement policy is loaded in this proxy version, "
            "and statements that cannot be decided are denied by default"
        )
