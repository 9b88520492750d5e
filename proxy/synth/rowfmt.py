"""Values written as PostgreSQL COPY text fields, the wire format the loader streams.

Generation produces text lines directly (tab-separated, `\\N` for NULL) because formatting a
string in the generator process is cheaper than building Python dates and Decimals for a binary
encoder in the loading process. Dates are day ordinals; money is an integer number of tiyn.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

NULL = "\\N"

AS_OF = date(2026, 11, 1).toordinal()  # the dataset's "today": data never depends on the clock
_ALMATY_UTC5_FROM = date(2024, 3, 1).toordinal()  # Asia/Almaty moved from UTC+6 to UTC+5


@lru_cache(maxsize=65536)
def day(ordinal: int) -> str:
    """An ISO date for a day ordinal."""
    return date.fromordinal(ordinal).isoformat()


def dotted(ordinal: int) -> str:
    """A date as people write it in Kazakhstan: 15.03.2024."""
    iso = day(ordinal)
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}"


def local_time(ordinal: int, seconds: int) -> str:
    """A timestamptz literal in Asia/Almaty local time with the offset then in force."""
    offset = "+06" if ordinal < _ALMATY_UTC5_FROM else "+05"
    hours, rest = divmod(seconds, 3600)
    return f"{day(ordinal)} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}{offset}"


def money(tiyn: int) -> str:
    """numeric(14,2) text for an amount in tiyn."""
    return f"{tiyn // 100}.{tiyn % 100:02d}"


def tenge(tiyn: int, style: int) -> str:
    """An amount as people write it in text: 125 000 тг, 125000 KZT, 125 000,00 тенге."""
    whole = tiyn // 100
    if style == 0:
        return f"{whole:,}".replace(",", " ") + " тг"
    if style == 1:
        return f"{whole} KZT"
    return f"{whole:,}".replace(",", " ") + f",{tiyn % 100:02d} тенге"


def text(value: str) -> str:
    """Free text escaped for COPY: backslash, tab, newline and carriage return."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    return value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def opt(value: str | None) -> str:
    return NULL if value is None else value


def flag(value: bool) -> str:
    return "t" if value else "f"


def years_after(ordinal: int, years: int) -> int:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    when = date.fromordinal(ordinal)
    try:
        return when.replace(year=when.year + years).toordinal()
    except ValueError:
        return when.replace(year=when.year + years, day=28).toordinal()
