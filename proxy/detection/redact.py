"""Redaction of free text: personal data replaced by `<ENTITY>` placeholders.

Findings come from the same `Detector` the `detect` command and the evaluation use. Redaction is
CPU work: callers on the event loop run it in a thread (`redact_all`). Results are cached per
text, because the same note is often read many times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache

from proxy.detection.engine import CACHE_SIZE, Detector, Finding

__all__ = ["CACHE_SIZE", "Redactor", "merge_overlapping", "replace_findings"]


class Redactor:
    """Finds personal data in text and replaces each finding with `<ENTITY_TYPE>`."""

    def __init__(self, detector: Detector | None = None) -> None:
        # the redacted text is what is cached; the detector's own cache would only double it
        self._detector = detector or Detector(cache_size=0)
        self.redact = lru_cache(maxsize=CACHE_SIZE)(self._redact)

    def _redact(self, text: str) -> str:
        findings = self._detector.find(text)
        return replace_findings(text, findings) if findings else text

    async def redact_all(self, texts: Sequence[str | None]) -> list[str | None]:
        """Redact many values in one worker thread, off the event loop; None stays None."""
        return await asyncio.to_thread(
            lambda: [None if t is None else self.redact(t) for t in texts]
        )


def replace_findings(text: str, findings: Sequence[Finding]) -> str:
    """`text` with each finding's span replaced by `<TYPE>`; overlapping spans become one."""
    pieces: list[str] = []
    cursor = 0
    for finding in merge_overlapping(findings):
        pieces.append(text[cursor : finding.start])
        pieces.append(f"<{finding.entity_type}>")
        cursor = finding.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def merge_overlapping(findings: Sequence[Finding]) -> list[Finding]:
    """Findings in text order with overlaps joined; the joined span takes the longer's type."""
    merged: list[Finding] = []
    for finding in sorted(findings):
        last = merged[-1] if merged else None
        if last is None or finding.start >= last.end:
            merged.append(finding)
            continue
        longer = max(last, finding, key=lambda f: f.end - f.start)
        merged[-1] = Finding(
            last.start,
            max(last.end, finding.end),
            longer.entity_type,
            max(last.score, finding.score),
        )
    return merged
