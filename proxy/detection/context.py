"""Context words: the label a person writes before a value ("ИИН", "тел.", "паспорт").

Presidio reads context from the NLP engine's tokens, and the proxy runs without one (no model is
loaded or downloaded), so recognizers look at the text just before a match themselves. Labels are
regular expressions matched case-insensitively as whole words (no letter on either side, so
"ИИН850215312346" still reads as labelled); the nearest label wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

WINDOW = 40  # characters before a value: "удостоверение личности № ", "паспорт гражданина РК "
GAP = r"[\s:№#.\-–—=(«\"']{0,6}"  # what may stand between a label and its value: "ИИН: ", "(БИН "
_LETTER_BEFORE = r"(?<![^\W\d_])"
_LETTER_AFTER = r"(?![^\W\d_])"


def label_pattern(*alternatives: str) -> re.Pattern[str]:
    """Any of the regular expressions `alternatives` as a whole word, case-insensitive."""
    return re.compile(
        rf"{_LETTER_BEFORE}(?:{'|'.join(alternatives)}){_LETTER_AFTER}", re.IGNORECASE
    )


def preceded_by(text: str, start: int, labels: re.Pattern[str], window: int = WINDOW) -> bool:
    """True when a label occurs in the `window` characters before `start`."""
    return labels.search(text, max(0, start - window), start) is not None


def label_right_before(text: str, start: int, labels: Mapping[str, re.Pattern[str]]) -> str | None:
    """The key of the label written right before `start` (only a short gap between), or None."""
    lo = max(0, start - WINDOW)
    best: tuple[int, str] | None = None
    for key, pattern in labels.items():
        for match in pattern.finditer(text, lo, start):
            if re.fullmatch(GAP, text[match.end() : start]) and (
                best is None or match.end() > best[0]
            ):
                best = (match.end(), key)
    return None if best is None else best[1]
