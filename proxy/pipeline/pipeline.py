"""The pipeline object the doors hand every statement to.

identify -> analyse -> decide -> rewrite -> execute -> redact -> audit -> detect. This version
holds the first step (identity and purpose, done before `run`); the statement policy engine is
not part of it yet, so `run` refuses every statement: the proxy denies what it cannot decide.
"""

from __future__ import annotations

from typing import NoReturn

from proxy.errors import AccessDenied
from proxy.pipeline.request import QueryRequest


class Pipeline:
    async def run(self, request: QueryRequest) -> NoReturn:
        raise AccessDenied(
            "statement refused: no statement policy is loaded in this proxy version, "
            "and statements that cannot be decided are denied by default"
        )
