"""Cyrillic (Kazakh and Russian) to Latin, the way people spell their names in e-mail addresses.

Passport-style transliteration (kz_domain.md §2.3): Жұмабаев → zhumabaev, Әсел → asel.
"""

from __future__ import annotations

_TABLE = {
    "а": "a",
    "ә": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "қ": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ұ": "u",
    "ү": "u",
    "ф": "f",
    "х": "kh",
    "һ": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "",
    "ы": "y",
    "і": "i",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}

_TRANSLATE = str.maketrans(_TABLE)


def latin(text: str) -> str:
    """Lower-case Latin letters for a Cyrillic name; spaces, hyphens and others are dropped."""
    out = text.lower().translate(_TRANSLATE)
    return "".join(ch for ch in out if "a" <= ch <= "z")
