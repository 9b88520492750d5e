"""Independent checks of Kazakh identifiers for the tests: written from the rules in
docs/research/kz_domain.md §1, deliberately sharing no code with proxy.synth, so a bug in the
generator's check-digit code cannot hide itself.
"""

from __future__ import annotations

import re
from datetime import date

MOBILE_CODES = {
    "700",
    "701",
    "702",
    "705",
    "706",
    "707",
    "708",
    "747",
    "771",
    "775",
    "776",
    "777",
    "778",
}


def _iin_remainder(digits: list[int], weights: range | list[int]) -> int:
    total = 0
    for position, digit in enumerate(digits[:11]):
        total += digit * list(weights)[position]
    return total % 11


def iin_is_valid(value: str) -> bool:
    """12 digits whose last one is the mod-11 check of the first 11 (second weights on 10)."""
    if len(value) != 12 or not value.isdigit():
        return False
    digits = [int(c) for c in value]
    check = _iin_remainder(digits, range(1, 12))
    if check == 10:
        check = _iin_remainder(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])
    return check != 10 and check == digits[11]


def bin_is_valid(value: str) -> bool:
    """An IIN-style check digit plus BIN structure: YYMM, kind 4/5/6, division 0-4."""
    if not iin_is_valid(value):
        return False
    month, kind, division = int(value[2:4]), value[4], value[5]
    return 1 <= month <= 12 and kind in "456" and division in "01234"


def iin_birth_and_sex(value: str) -> tuple[date, str]:
    """The birth date and sex (M/F) encoded by digits 1-7 of a classic IIN."""
    century_sex = int(value[6])
    century = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[century_sex]
    born = date(century + int(value[:2]), int(value[2:4]), int(value[4:6]))
    return born, "M" if century_sex % 2 else "F"


def iban_is_valid(value: str) -> bool:
    """A KZ IBAN: 20 characters, bank code of 3 digits, ISO 7064 mod 97 == 1."""
    if not re.fullmatch(r"KZ\d{2}\d{3}[0-9A-Z]{13}", value):
        return False
    moved = value[4:] + value[:4]
    remainder = 0
    for ch in moved:
        number = ord(ch) - 55 if ch.isalpha() else int(ch)
        for digit in str(number):
            remainder = (remainder * 10 + int(digit)) % 97
    return remainder == 1


def kz_phone(written: str) -> str | None:
    """The 10-digit national number of a written KZ phone, or None if it is not one."""
    digits = re.sub(r"\D", "", written)
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) != 10 or digits[0] != "7":
        return None
    if digits[:3] in MOBILE_CODES or digits[:2] in ("71", "72"):
        return digits
    return None


PHONE_IN_TEXT = re.compile(r"(?:\+7|\b8|\b7)[\s(-]*\d{3,5}[\s)-]*\d{1,3}[\s-]*\d{2}[\s-]*\d{2,4}\b")
