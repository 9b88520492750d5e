"""Kazakh phone numbers as people write them, for columns and free text.

A number is kept as its 10-digit national significant number (`7011234567`) and rendered in one
of the written forms seen in real records (`+7 701 123 45 67`, `8 (701) 123-45-67`,
`87011234567`, `8 (7172) 55-66-77`, ...). Prefixes and area codes: kz_domain.md §1.7.
"""

from __future__ import annotations

from random import Random

MOBILE_PREFIXES = (
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
)

# Weighted by rough subscriber share so Beeline/Kcell prefixes dominate as they do in practice.
_MOBILE_WEIGHTS = (6, 14, 8, 12, 4, 12, 5, 10, 5, 5, 4, 12, 5)
_CUMULATIVE = tuple(sum(_MOBILE_WEIGHTS[: i + 1]) for i in range(len(_MOBILE_WEIGHTS)))

# The written forms seen in real records; a style number picks one.
_MOBILE_FORMS = (
    "+7 {a} {b} {c} {d}",
    "8 ({a}) {b}-{c}-{d}",
    "8{n}",
    "+7{n}",
    "+7 ({a}) {b}-{c}-{d}",
    "8 {a} {b} {c}{d}",
    "+7-{a}-{b}-{c}-{d}",
    "8-{a}-{b}-{c}-{d}",
    "+7 {a} {b}{c}{d}",
)
_LANDLINE_FORMS = ("8 ({area}) {g}", "+7 {area} {s}", "8{n}", "+7 ({area}) {g}", "8 {area} {local}")
MOBILE_STYLES = len(_MOBILE_FORMS)
LANDLINE_STYLES = len(_LANDLINE_FORMS)


def mobile_number(rng: Random) -> str:
    """A 10-digit national mobile number with a real KZ operator prefix."""
    pick = rng.random() * _CUMULATIVE[-1]
    for prefix, bound in zip(MOBILE_PREFIXES, _CUMULATIVE, strict=True):
        if pick < bound:
            return f"{prefix}{rng.randrange(10_000_000):07d}"
    return f"{MOBILE_PREFIXES[-1]}{rng.randrange(10_000_000):07d}"


def landline_number(rng: Random, area_code: str) -> str:
    """A 10-digit national landline number in a city's area code (local part never starts 0)."""
    local_len = 10 - len(area_code)
    low = 2 * 10 ** (local_len - 1)
    return f"{area_code}{rng.randrange(low, 10**local_len)}"


def write_mobile(national: str, style: int) -> str:
    """A mobile number in written form `style` (0..MOBILE_STYLES-1)."""
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    return _MOBILE_FORMS[style].format(n=national, a=a, b=b, c=c, d=d)


def write_landline(national: str, area_len: int, style: int) -> str:
    """A landline in written form `style` (0..LANDLINE_STYLES-1), area code kept apart."""
    area, local = national[:area_len], national[area_len:]
    grouped = _group_local(local)
    spaced = grouped.replace("-", " ")
    return _LANDLINE_FORMS[style].format(n=national, area=area, local=local, g=grouped, s=spaced)


def _group_local(local: str) -> str:
    """Local digits as written: 7 → 250-12-34, 6 → 55-66-77, 5 → 5-12-34."""
    head = local[: len(local) - 4]
    return f"{head}-{local[-4:-2]}-{local[-2:]}"


def random_mobile(rng: Random) -> str:
    """A random mobile number in a random written form."""
    return write_mobile(mobile_number(rng), rng.randrange(MOBILE_STYLES))


def random_landline(rng: Random, area_code: str) -> str:
    """A random landline in a city, in a random written form."""
    national = landline_number(rng, area_code)
    return write_landline(national, len(area_code), rng.randrange(LANDLINE_STYLES))
