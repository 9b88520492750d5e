"""The masks the proxy applies to result values on the way out (`ProxyMask` of the plan).

Free text is searched for personal data by the detector (`find`), and each finding is replaced,
partly masked or pseudonymised as the policy says; an identifier or name column under a
`pseudonym` mask has each whole value pseudonymised. Detection is CPU work: a result's columns
are masked in a worker thread, a bounded number at a time, and findings are cached per text
(the same note or complaint is read again and again).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from proxy.config.settings import RedactionSection
from proxy.detection.engine import Detector, Finding
from proxy.detection.operators import (
    Pseudonymiser,
    partially_mask_findings,
    replace_findings,
)
from proxy.errors import ConfigError, ProxyError
from proxy.lru import LruCache
from proxy.pipeline.plan import ProxyMask
from proxy.policy import MaskOperator, PolicyEngine

FINDINGS_KEPT = 65_536
MIN_SCANNED_DIGITS = 10  # a +7 phone without its country code
WORKERS = 1  # one at a time: the detector holds the GIL anyway, and the cache is not shared

Find = Callable[[str], Sequence[Finding]]


@dataclass(frozen=True)
class CatalogueGap:
    """Personal data found by the tripwire in an output fed by unclassified columns: which
    columns (schema.table.column) and how many findings of each type; never the values."""

    columns: tuple[str, ...]
    findings: tuple[tuple[str, int], ...]  # (entity type, count), by type


class PseudonymKeyMissing(ProxyError):
    sqlstate = "F0000"  # config_file_error: the operator must configure a key
    http_status = 503


def build_output_masker(settings: RedactionSection, engine: PolicyEngine) -> OutputMasker:
    """The masker for this configuration; refuses to start when the policy names pseudonym
    masks and no key is configured (rather than withhold every such result later)."""
    key = settings.pseudonym_key_bytes()
    if key is None and MaskOperator.PSEUDONYM in engine.masks_in_use():
        raise ConfigError(
            "the policy names `pseudonym` masks, which need a secret: set "
            "redaction.pseudonym_key_file (or PALATA_REDACTION_PSEUDONYM_KEY), "
            "e.g. from `openssl rand -hex 32`"
        )
    detector = Detector(cache_size=0)  # the masker keeps its own cache, read on the event loop
    return OutputMasker(detector.find, None if key is None else Pseudonymiser(key))


class OutputMasker:
    def __init__(self, find: Find, pseudonymiser: Pseudonymiser | None) -> None:
        self._find = find
        self._pseudonymiser = pseudonymiser
        self._findings: LruCache[str, tuple[Finding, ...]] = LruCache(FINDINGS_KEPT)
        self._slots = asyncio.Semaphore(WORKERS)

    @property
    def pseudonyms_available(self) -> bool:
        return self._pseudonymiser is not None

    async def mask_column(self, values: Sequence[object], mask: ProxyMask) -> list[object]:
        """`values` masked as `mask` says (None stays None; other values as their text)."""
        if mask.operator is MaskOperator.PSEUDONYM and self._pseudonymiser is None:
            raise PseudonymKeyMissing(
                "a pseudonym mask applies to this result, but no redaction.pseudonym_key is "
                "configured: the result is withheld"
            )
        texts = [_text(v) for v in values]
        if mask.entity is not None:  # a whole identifier or name: no detection needed
            assert self._pseudonymiser is not None
            token = self._pseudonymiser.token
            return [None if t is None else token(mask.entity, t) for t in texts]
        found = await self._findings_of([t for t in texts if t is not None])
        return [
            None if t is None else _apply(mask, t, found[t], self._pseudonymiser) for t in texts
        ]

    async def trip(self, values: Sequence[object]) -> tuple[list[object], Counter[str]]:
        """The tripwire: values of a column the catalogue does not classify, with any personal
        data found in them replaced by `<TYPE>`, and how many findings of each type."""
        scanned = {i: t for i, v in enumerate(values) if (t := _scannable(v)) is not None}
        if not scanned:
            return list(values), Counter()
        found = await self._findings_of(list(scanned.values()))
        out = list(values)
        counts: Counter[str] = Counter()
        for i, text in scanned.items():
            if found[text]:
                out[i] = replace_findings(text, found[text])
                counts.update(f.entity_type for f in found[text])
        return out, counts

    async def _findings_of(self, texts: Sequence[str]) -> dict[str, tuple[Finding, ...]]:
        """Findings per distinct text: cached ones on the event loop, the rest detected in a
        worker thread (the cache is only touched here, on the loop)."""
        known: dict[str, tuple[Finding, ...]] = {}
        missing: list[str] = []
        for text in dict.fromkeys(texts):
            cached = self._findings.get(text)
            if cached is None:
                missing.append(text)
            else:
                known[text] = cached
        if missing:
            async with self._slots:
                detected = await asyncio.to_thread(
                    lambda: [tuple(self._find(text)) for text in missing]
                )
            for text, findings in zip(missing, detected, strict=True):
                self._findings.put(text, findings)
                known[text] = findings
        return known


def _apply(
    mask: ProxyMask, text: str, findings: Sequence[Finding], pseudonymiser: Pseudonymiser | None
) -> str:
    if not findings:
        return text
    if mask.operator is MaskOperator.PSEUDONYM:
        assert pseudonymiser is not None  # mask_column checked
        return pseudonymiser.pseudonymise_findings(text, findings)
    if mask.operator is MaskOperator.REDACT_PARTIAL:
        return partially_mask_findings(text, findings)
    return replace_findings(text, findings)  # REDACT, and the strictest for anything else


def _text(value: object) -> str | None:
    return None if value is None else value if isinstance(value, str) else str(value)


def _scannable(value: object) -> str | None:
    """The text the tripwire scans: strings, and numbers long enough to be an IIN, BIN, phone
    or card kept in a numeric column; nothing else carries personal data the detector finds."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        text = str(value)
        return text if sum(c.isdigit() for c in text) >= MIN_SCANNED_DIGITS else None
    return None
