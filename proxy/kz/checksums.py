"""Check digits of Kazakh identifiers, as the official rules define them (pure functions).

IIN and BIN share one algorithm: digits 1-11 weighted 1..11, remainder mod 11; a remainder of 10
means a second pass with weights 3..11,1,2; a second 10 means the number is never issued.
A KZ IBAN follows ISO 13616 with ISO 7064 MOD 97-10 check digits.
"""

from __future__ import annotations

_WEIGHTS_FIRST = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

# IBAN letters become numbers: A = 10 ... Z = 35.
_LETTER_VALUES = str.maketrans({chr(65 + i): str(10 + i) for i in range(26)})


def check_digit(body: str) -> int | None:
    """The 12th digit for an 11-digit IIN/BIN body, or None if the body is never issued."""
    digits = [ord(c) - 48 for c in body]
    remainder = sum(d * w for d, w in zip(digits, _WEIGHTS_FIRST, strict=True)) % 11
    if remainder == 10:
        remainder = sum(d * w for d, w in zip(digits, _WEIGHTS_SECOND, strict=True)) % 11
    return None if remainder == 10 else remainder


def has_valid_check_digit(number: str) -> bool:
    """True for 12 ASCII digits whose last digit is the IIN/BIN check digit of the first 11."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:11]) == ord(number[11]) - 48


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 7064 MOD 97-10 check digits for an IBAN (ISO 13616)."""
    numeric = (bban + country + "00").translate(_LETTER_VALUES)
    return f"{98 - int(numeric) % 97:02d}"


def is_valid_kz_iban(iban: str) -> bool:
    """20 characters, KZ, two check digits, 3-digit bank code, 13 alphanumerics, mod 97 == 1."""
    compact = iban.replace(" ", "").upper()
    if len(compact) != 20 or not compact.isascii() or not compact.startswith("KZ"):
        return False
    if not compact[2:7].isdigit() or not compact[7:].isalnum():
        return False
    return int((compact[4:] + compact[:4]).translate(_LETTER_VALUES)) % 97 == 1
