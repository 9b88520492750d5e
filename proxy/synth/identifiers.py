"""Kazakh identifiers for the synthetic Palata database: IIN, BIN and KZ IBAN.

The generator builds every identifier here, so each one carries a correct check digit exactly as
the real registers issue them (rules in docs/research/kz_domain.md §1.1, §1.2, §1.5). Uniqueness
is not decided here: `people.py` and `organisations.py` feed these functions from a permutation,
so no two subjects ever receive the same number.
"""

from __future__ import annotations

from proxy.kz.checksums import check_digit, iban_check_digits

__all__ = [
    "check_digit",
    "iban_check_digits",
    "issued_number",
    "make_bin",
    "make_iin",
    "make_kz_iban",
    "with_check_digit",
]

# Digit 7 of an IIN: century and sex (1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s; odd = male).
_CENTURY_BASE = {1800: 1, 1900: 3, 2000: 5}


def with_check_digit(body: str) -> str | None:
    """The full 12-digit number for a body, or None if the rules never issue it."""
    digit = check_digit(body)
    return None if digit is None else body + chr(48 + digit)


def issued_number(prefix10: str, last: int) -> str:
    """A valid 12-digit number from ten fixed digits and a last serial digit 0..4.

    The 11th digit weighs 11 ≡ 0 in the first pass and 2 in the second, so for a fixed prefix at
    most one value of it yields a never-issued body; `last` and `last + 5` cannot both be that
    value. Serial slots therefore map one to one onto issued numbers.
    """
    number = with_check_digit(prefix10 + chr(48 + last))
    if number is None:
        number = with_check_digit(prefix10 + chr(53 + last))
    assert number is not None  # guaranteed by the weight argument above
    return number


def iin_prefix(year: int, month: int, day: int, male: bool) -> str:
    """Digits 1-7 of a classic IIN: YYMMDD and the century/sex digit."""
    century_digit = _CENTURY_BASE[year // 100 * 100] + (0 if male else 1)
    return f"{year % 100:02d}{month:02d}{day:02d}{century_digit}"


def make_iin(year: int, month: int, day: int, male: bool, serial: int) -> str:
    """An IIN for a birth date and sex; `serial` in 0..4999 picks one of 5,000 numbers."""
    if not 0 <= serial < 5000:
        raise ValueError("IIN serial must be in 0..4999")
    return issued_number(iin_prefix(year, month, day, male) + f"{serial // 5:03d}", serial % 5)


def make_bin(year: int, month: int, kind: int, division: int, serial: int) -> str:
    """A BIN: YYMM, entity kind (4/5/6), division (0-4), serial 0..49999 and check digit."""
    if kind not in (4, 5, 6) or not 0 <= division <= 4 or not 0 <= serial < 50000:
        raise ValueError("BIN kind, division or serial out of range")
    prefix = f"{year % 100:02d}{month:02d}{kind}{division}{serial // 5:04d}"
    return issued_number(prefix, serial % 5)


def make_kz_iban(bank_code: str, account: str) -> str:
    """A 20-character KZ IBAN: KZ, check digits, 3-digit bank code, 13 alphanumerics."""
    if len(bank_code) != 3 or not bank_code.isdigit() or len(account) != 13:
        raise ValueError("KZ IBAN needs a 3-digit bank code and a 13-character account")
    bban = bank_code + account
    return "KZ" + iban_check_digits("KZ", bban) + bban
