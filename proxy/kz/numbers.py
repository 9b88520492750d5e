"""Which kind of Kazakh 12-digit number a string is: IIN, BIN or neither (pure functions).

The check digit (`checksums`) is the only hard rule, and it passes one random number in eleven,
so detection also reads the structure (kz_domain.md §1.1, §1.2). A classic IIN starts with a birth
date YYMMDD and a century/sex digit 1-6; a BIN starts with the year and month of registration,
then the entity type 4/5/6 and a sub-type 0-4. Digit 5 of an IIN is the tens of a day (0-3), so
the two shapes never overlap. IINs issued after 2013 need not follow the date shape; for those
the label written next to the number decides (`detection.identifiers`).
"""

from __future__ import annotations

import calendar
from enum import Enum

from proxy.kz.checksums import has_valid_check_digit


class NumberKind(Enum):
    IIN = "KZ_IIN"
    BIN = "KZ_BIN"
    UNSHAPED = "unshaped"  # a valid check digit, but neither structure


def has_iin_shape(number: str) -> bool:
    """Digits 1-6 a calendar date YYMMDD (any century), digit 7 a century/sex digit 1-6."""
    month, day, century = int(number[2:4]), int(number[4:6]), number[6]
    if not 1 <= month <= 12 or century not in "123456":
        return False
    # a leap year for the month's length: the century is unknown when digit 7 is 1/2 vs 5/6
    return 1 <= day <= calendar.monthrange(2000, month)[1]


def has_bin_shape(number: str) -> bool:
    """Digits 3-4 a month, digit 5 the entity type 4/5/6, digit 6 a sub-type 0-4."""
    return 1 <= int(number[2:4]) <= 12 and number[4] in "456" and number[5] in "01234"


def kind_of(number: str) -> NumberKind | None:
    """The kind of a 12-digit number by check digit and structure; None if the digit fails."""
    if not has_valid_check_digit(number):
        return None
    if has_iin_shape(number):
        return NumberKind.IIN
    if has_bin_shape(number):
        return NumberKind.BIN
    return NumberKind.UNSHAPED
