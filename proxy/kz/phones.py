"""Kazakh telephone numbers: which 10-digit national numbers belong to Kazakhstan (pure).

Kazakhstan shares country code +7 with Russia but owns the numbers whose national part starts
with 7 (kz_domain.md §1.7): mobile 7xx ranges and landlines 71x/72x with a city's area code.
Russian numbers start with 3, 4, 8 or 9 and are never Kazakh. A number counts when it is in an
operator's mobile range, in the landline zones 710-729 (area code and local number; a local
number libphonenumber finds odd is still someone's line), or when libphonenumber's metadata
(`phonenumbers`, pinned) places it in Kazakhstan; other 7xx numbers are not taken.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

MOBILE_RANGES = frozenset(
    {f"70{d}" for d in "012345678"}
    | {"747", "750", "751", "760", "761", "762", "763", "764", "771", "775", "776", "777", "778"}
    | {"785"}
)

LANDLINE_ZONE_DIGITS = "12"  # 71x and 72x: Astana 7172, Almaty 727, Shymkent 7252, ...


def is_kazakh_national_number(national: str) -> bool:
    """True for 10 ASCII digits that form a Kazakh number after +7."""
    if len(national) != 10 or not national.isascii() or not national.isdigit():
        return False
    if national[0] != "7":
        return False
    if national[:3] in MOBILE_RANGES or national[1] in LANDLINE_ZONE_DIGITS:
        return True
    return _is_known_kazakh(national)


@lru_cache(maxsize=4096)
def _is_known_kazakh(national: str) -> bool:
    number = phonenumbers.parse("+7" + national)
    return bool(phonenumbers.is_valid_number(number)) and (
        phonenumbers.region_code_for_number(number) == "KZ"
    )
