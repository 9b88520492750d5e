"""Organisations: BINs, banks and their IBAN codes, MFOs, collection agencies, employers.

Like IINs, BINs come from a seeded permutation of organisation indexes, so they never repeat;
the BIN's structure (registration YYMM, entity kind 4/5/6, division 0-4) follows kz_domain.md §1.2.
Bank names and IBAN bank codes are the real ones; every other organisation name is made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from random import Random

from proxy.synth.identifiers import make_bin, make_kz_iban
from proxy.synth.permute import Permutation, derive_key
from proxy.synth.wordlists import rows, sections

_FIRST_YEAR, _YEARS = 1995, 31
_MONTHS = _YEARS * 12
_SERIALS = 50_000
ORGANISATION_SPACE = _MONTHS * _SERIALS

# Entity kind and division by the first serial digit: mostly resident head offices (4, 0).
_KIND_BY_DIGIT = ((4, 0),) * 7 + ((4, 1), (6, 0), (5, 0))

_LEGAL_FORMS = ("ТОО", "ТОО", "ТОО", "ТОО", "ТОО", "ТОО", "ТОО", "АО", "ТОО", "ТОО")
_PUBLIC_BODIES = (
    "КГУ «Школа-гимназия № {n}»",
    "ГКП на ПХВ «Городская поликлиника № {n}»",
    "КГУ «Общеобразовательная школа № {n}»",
    "ГКП «Детский сад № {n}»",
    "ГКП на ПХВ «Городская больница № {n}»",
)


@dataclass(frozen=True, slots=True)
class Bank:
    code: str
    bic: str
    name: str


@cache
def banks() -> tuple[Bank, ...]:
    return tuple(Bank(code, bic, name) for code, bic, name in rows("banks.txt"))


@cache
def named_organisations(kind: str) -> tuple[str, ...]:
    """Names of MFOs ("mfo") or collection agencies ("agency")."""
    return sections("mfo_names.txt")[kind]


class BinSource:
    """BINs for organisation indexes, unique across the dataset for one seed."""

    def __init__(self, seed: int) -> None:
        self._permutation = Permutation(ORGANISATION_SPACE, derive_key(seed, "organisations"))

    def bin(self, organisation: int, head_office: bool = False) -> str:
        slot = self._permutation(organisation)
        month_index, serial = slot % _MONTHS, slot // _MONTHS
        year, month = _FIRST_YEAR + month_index // 12, month_index % 12 + 1
        kind, division = (4, 0) if head_office else _KIND_BY_DIGIT[serial // 5000]
        return make_bin(year, month, kind, division, serial)


def company_name(rng: Random) -> str:
    """An employer's name: ТОО «Алтын Құрылыс», АО «Steppe Logistics», КГУ «Школа № 12»."""
    if rng.random() < 0.12:
        return rng.choice(_PUBLIC_BODIES).format(n=rng.randrange(1, 180))
    parts = sections("org_words.txt")
    root, trade = rng.choice(parts["roots"]), rng.choice(parts["trades"])
    return f"{rng.choice(_LEGAL_FORMS)} «{root} {trade}»"


def account_number(rng: Random) -> str:
    """The 13 characters after the bank code, in the shapes KZ banks use."""
    style = rng.randrange(3)
    if style == 0:
        return f"KZT{rng.randrange(10**10):010d}"
    if style == 1:
        return f"{rng.randrange(10**13):013d}"
    return f"{rng.choice('ABCDEFGHJKLMNPRSTUVXYZ')}{rng.randrange(10**12):012d}"


def random_iban(rng: Random, bank_code: str | None = None) -> str:
    """A KZ IBAN at a given bank (or a random one) with a correct mod-97 check."""
    code = bank_code or rng.choice(banks()).code
    return make_kz_iban(code, account_number(rng))
