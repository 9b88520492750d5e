"""Whether a name-shaped span names a person, or a street, town or organisation named after one.

"ул. Абая", "Абай даңғылы", "г. Қонаев" and ТОО «Ахметов и К» carry a person's name but are not
personal data of a data subject. The words right before and after the span decide, and so does
an open quotation mark (organisation and product names are quoted in Kazakh and Russian text).
"""

from __future__ import annotations

import re

from proxy.detection.name_lexicon import NameLexicon

_WORD_AFTER = re.compile(r"[\s\u00a0]*([^\s,;:()]+)")
# "Абылай хан даңғылы", "Қабанбай батыр көшесі", "Төле би көшесі": epithets inside street names
_EPITHETS = frozenset({"хан", "хана", "батыр", "батыра", "би", "ата", "баба", "ақын", "акына"})
_YEAR_BEFORE = re.compile(r"\d[\s\u00a0]*$")  # "2024 г." is a year, not a town


def names_a_person(text: str, start: int, end: int, lexicon: NameLexicon) -> bool:
    return not (
        _inside_quotes(text, start)
        or _after_marker(text, start, lexicon)
        or _before_marker(text, end, lexicon)
    )


def _inside_quotes(text: str, start: int) -> bool:
    before = text[:start]
    if before.rfind("«") > before.rfind("»"):
        return True
    if before.rfind("“") > before.rfind("”"):
        return True
    return before.count('"') % 2 == 1


def _after_marker(text: str, start: int, lexicon: NameLexicon) -> bool:
    before = text[max(0, start - 40) : start]
    words = before.split()
    if not words:
        return False
    word = words[-1].lower().lstrip('(«"“')
    if word in lexicon.org_markers:
        return True
    if word not in lexicon.place_before:
        return False
    ahead = before[: before.rstrip().rfind(words[-1])]
    return not (word == "г." and _YEAR_BEFORE.search(ahead) is not None)


def _before_marker(text: str, end: int, lexicon: NameLexicon) -> bool:
    match = _WORD_AFTER.match(text, end)
    if match is not None and match.group(1).lower() in _EPITHETS:
        match = _WORD_AFTER.match(text, match.end())
    return match is not None and _is_place_word(match.group(1).lower(), lexicon.place_after)


def _is_place_word(word: str, markers: frozenset[str]) -> bool:
    if word in markers:
        return True
    return any(word.startswith(m) for m in markers if not m.endswith("."))
