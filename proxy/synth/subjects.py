"""Debtors and the people around them (regulation clause 3.1.3): the debtor's own record,
relatives whose relation agrees with their age and sex, and employers.

Objects here carry what later rows and free text need to mention (names, phones, the loan), so
a complaint quotes the same phone number and the same mother the other tables hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from proxy.synth import rowfmt as f
from proxy.synth.names import FullName, random_name, relative_name
from proxy.synth.people import Identity, IdentitySource, email, id_document
from proxy.synth.phones import (
    MOBILE_STYLES,
    landline_number,
    mobile_number,
    write_landline,
    write_mobile,
)
from proxy.synth.places import City, Region, postal_address, random_city, random_region

_YEAR = 365
RELATIONS_MALE = ("father", "brother", "son", "spouse")
RELATIONS_FEMALE = ("mother", "sister", "daughter", "spouse")


@dataclass(slots=True)
class Relative:
    relation: str
    name: FullName
    phone: str  # national digits
    phone_written: str


@dataclass(slots=True)
class Loan:
    id: int
    creditor_id: int
    creditor_name: str
    contract_number: str
    contract_date: int
    product: str
    principal: int  # tiyn
    outstanding: int  # tiyn
    overdue_since: int
    status: str
    iban: str

    @property
    def days_past_due(self) -> int:
        return 0 if self.status == "closed" else f.AS_OF - self.overdue_since


@dataclass(slots=True)
class Debtor:
    id: int
    identity: Identity
    name: FullName
    region: Region
    city: City
    address: str
    postcode: str
    phone: str  # national digits
    phone_written: str
    phone_alt_written: str | None
    email: str | None
    doc_type: str
    doc_number: str
    relatives: list[Relative] = field(default_factory=list)
    employer: tuple[str, str, str] | None = None  # (name, BIN, phone)
    position: str = ""
    loans: list[Loan] = field(default_factory=list)
    collector: int = 0


def new_debtor(rng: Random, people: IdentitySource, debtor_id: int) -> Debtor:
    identity = people.identity(debtor_id - 1)
    name = random_name(rng, identity.male)
    region = random_region(rng)
    city = random_city(rng, region)
    kazakh_address = rng.random() < (0.25 if name.kazakh else 0.04)
    address, postcode = postal_address(rng, region, city, kazakh_address)
    phone = mobile_number(rng)
    alt = _alternative_phone(rng, city)
    mail = email(rng, name, identity.birth) if rng.random() < 0.65 else None
    doc_type, doc_number = id_document(rng)
    written = write_mobile(phone, rng.randrange(MOBILE_STYLES))
    return Debtor(
        debtor_id,
        identity,
        name,
        region,
        city,
        address,
        postcode,
        phone,
        written,
        alt,
        mail,
        doc_type,
        doc_number,
    )


def _alternative_phone(rng: Random, city: City) -> str | None:
    pick = rng.random()
    if pick < 0.4:
        return write_mobile(mobile_number(rng), rng.randrange(MOBILE_STYLES))
    if pick < 0.55:
        national = landline_number(rng, city.area_code)
        return write_landline(national, len(city.area_code), rng.randrange(5))
    return None


def debtor_row(rng: Random, debtor: Debtor) -> str:
    """The `debtors` line; written after the loans, whose sum is the debt amount."""
    identity, name = debtor.identity, debtor.name
    debt = sum(loan.outstanding for loan in debtor.loans)
    first_overdue = min(loan.overdue_since for loan in debtor.loans)
    created = min(f.AS_OF - 1, first_overdue + rng.randrange(30, 200))
    issued = rng.randrange(
        max(f.years_after(identity.birth, 16), f.AS_OF - 10 * _YEAR), f.AS_OF - 20
    )
    return (
        f"{debtor.id}\t{identity.iin}\t{name.last}\t{name.first}\t{f.opt(name.patronymic)}\t"
        f"{f.day(identity.birth)}\t{'M' if identity.male else 'F'}\t{debtor.doc_type}\t"
        f"{debtor.doc_number}\t{f.day(issued)}\t{debtor.region.name}\t{debtor.city.name}\t"
        f"{debtor.address}\t{debtor.postcode}\t{debtor.phone_written}\t"
        f"{f.opt(debtor.phone_alt_written)}\t{f.opt(debtor.email)}\t{f.money(debt)}\t"
        f"{f.local_time(created, rng.randrange(32400, 64800))}"
    )


def relative_row(
    rng: Random, debtor: Debtor, relative_id: int, people: IdentitySource, person: int
) -> str:
    """A relative: with an IIN (40%) the relation follows from age and sex; else at random."""
    identity = people.identity(person) if rng.random() < 0.4 else None
    if identity is not None:
        relation = _relation_by_age(rng, debtor.identity, identity)
        male = identity.male
    else:
        male = rng.random() < 0.5
        relation = rng.choice(RELATIONS_MALE if male else RELATIONS_FEMALE)
    name = _relative_name(rng, debtor, relation, male)
    phone = mobile_number(rng)
    written = write_mobile(phone, rng.randrange(MOBILE_STYLES))
    debtor.relatives.append(Relative(relation, name, phone, written))
    return (
        f"{relative_id}\t{debtor.id}\t{relation}\t{name.last}\t{name.first}\t"
        f"{f.opt(name.patronymic)}\t{written}\t{f.NULL if identity is None else identity.iin}"
    )


def _relation_by_age(rng: Random, debtor: Identity, relative: Identity) -> str:
    older_by = debtor.birth - relative.birth
    if older_by > 17 * _YEAR:
        return "father" if relative.male else "mother"
    if older_by < -17 * _YEAR:
        return "son" if relative.male else "daughter"
    if relative.male != debtor.male and rng.random() < 0.6:
        return "spouse"
    return "brother" if relative.male else "sister"


def _relative_name(rng: Random, debtor: Debtor, relation: str, male: bool) -> FullName:
    own = debtor.name
    if relation in ("brother", "sister"):
        name = relative_name(rng, own, male, True, own.father)
    elif relation in ("father", "mother"):
        name = relative_name(rng, own, male, True)
    elif relation in ("son", "daughter"):
        name = relative_name(rng, own, male, own.male, own.first if own.male else None)
    else:
        name = relative_name(rng, own, male, rng.random() < 0.7)
    if relation == "father":  # the debtor's patronymic names him
        first = own.father
        return FullName(
            name.last,
            first,
            name.patronymic,
            True,
            name.kazakh,
            name.russified,
            name.family,
            name.father,
        )
    return name


_POSITIONS = (
    "бухгалтер",
    "водитель",
    "продавец-консультант",
    "менеджер по продажам",
    "инженер",
    "учитель",
    "медсестра",
    "охранник",
    "сварщик",
    "кассир",
    "оператор call-центра",
    "повар",
    "экономист",
    "врач",
    "электрик",
    "разнорабочий",
    "курьер",
    "юрист",
    "администратор",
    "механик",
    "воспитатель",
    "программист",
    "начальник участка",
)


def employment_row(
    rng: Random,
    debtor: Debtor,
    employment_id: int,
    employer_id: int,
    employer: tuple[str, str, str],
    *,
    current: bool,
) -> str:
    position = rng.choice(_POSITIONS)
    if current or debtor.employer is None:
        debtor.employer, debtor.position = employer, position
    since = rng.randrange(f.years_after(debtor.identity.birth, 18), f.AS_OF - 60)
    work_phone = employer[2] if rng.random() < 0.5 else f.NULL
    return (
        f"{employment_id}\t{debtor.id}\t{employer_id}\t{position}\t{work_phone}\t"
        f"{f.day(since)}\t{f.flag(current)}"
    )
