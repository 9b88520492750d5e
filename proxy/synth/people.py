"""Identities of synthetic people: IIN with matching birth date and sex, documents, e-mail.

Every person in the dataset (debtor, employee, relative, counterparty contact) has a distinct
index; a seeded permutation maps it to a (birth date, sex, serial) slot, so IINs never repeat
and always agree with the birth_date and sex columns. Employees, relatives and contacts use index
ranges placed after the debtors' (see `PersonIndex`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from proxy.synth.identifiers import make_iin
from proxy.synth.names import FullName
from proxy.synth.permute import Permutation, derive_key
from proxy.synth.translit import latin

FIRST_BIRTH = date(1950, 1, 1).toordinal()
LAST_BIRTH = date(2006, 12, 31).toordinal()
_DAYS = LAST_BIRTH - FIRST_BIRTH + 1
_BUCKETS = _DAYS * 2  # (birth day, sex)
_SERIALS = 5000
PERSON_SPACE = _BUCKETS * _SERIALS

_MAIL_DOMAINS = (
    "mail.ru",
    "gmail.com",
    "mail.ru",
    "gmail.com",
    "inbox.ru",
    "bk.ru",
    "list.ru",
    "yandex.kz",
    "yandex.ru",
    "icloud.com",
    "outlook.com",
)


@dataclass(frozen=True, slots=True)
class Identity:
    iin: str
    birth: int  # day ordinal
    male: bool


class IdentitySource:
    """IINs for person indexes, unique across the whole dataset for one seed."""

    def __init__(self, seed: int) -> None:
        self._permutation = Permutation(PERSON_SPACE, derive_key(seed, "persons"))

    def identity(self, person: int) -> Identity:
        slot = self._permutation(person)
        bucket, serial = slot % _BUCKETS, slot // _BUCKETS
        birth = FIRST_BIRTH + (bucket >> 1)
        male = not bucket & 1
        when = date.fromordinal(birth)
        return Identity(make_iin(when.year, when.month, when.day, male, serial), birth, male)


@dataclass(frozen=True)
class PersonIndex:
    """Where each kind of person starts in the index space (all ranges disjoint)."""

    debtors: int
    employee_candidates: int
    relatives: int

    @property
    def employees_start(self) -> int:
        return self.debtors

    @property
    def relatives_start(self) -> int:
        return self.debtors + self.employee_candidates

    @property
    def contacts_start(self) -> int:
        return self.relatives_start + self.relatives

    def check(self, contacts: int) -> None:
        if self.contacts_start + contacts > PERSON_SPACE:
            raise ValueError("dataset too large for the synthetic IIN space")


def id_document(rng: Random) -> tuple[str, str]:
    """(type, number): an ID card (9 digits) mostly, otherwise a passport (N + 8 digits)."""
    if rng.random() < 0.86:
        return "id_card", f"0{rng.randrange(10**8):08d}"
    return "passport", f"N{rng.randrange(10**8):08d}"


def email(rng: Random, name: FullName, birth: int) -> str:
    """A personal e-mail address built from the name, as people choose them."""
    first, last = latin(name.first), latin(name.last)
    year = date.fromordinal(birth).year
    style = rng.randrange(7)
    if style == 0:
        local = f"{first}.{last}"
    elif style == 1:
        local = f"{last}{year % 100:02d}"
    elif style == 2:
        local = f"{first[:1]}.{last}"
    elif style == 3:
        local = f"{first}{last}{year}"
    elif style == 4:
        local = f"{last}_{first[:1]}{rng.randrange(1, 100)}"
    elif style == 5:
        local = f"{first}_{year}"
    else:
        local = f"{first}.{last}{rng.randrange(1, 1000)}"
    return f"{local}@{rng.choice(_MAIL_DOMAINS)}"


def work_email(name: FullName, domain: str) -> str:
    """A corporate address: n.akhmetov@domain."""
    return f"{latin(name.first)[:1]}.{latin(name.last)}@{domain}"
