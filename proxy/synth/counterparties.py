"""Counterparties (regulation clause 3.1.2): banks, MFOs and collection agencies, their contact
persons, and their consent by contract, which cannot be withdrawn while the contract runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from proxy.synth import rowfmt as f
from proxy.synth.names import random_name
from proxy.synth.organisations import BinSource, banks, named_organisations, random_iban
from proxy.synth.people import IdentitySource, work_email
from proxy.synth.phones import landline_number, random_mobile, write_landline
from proxy.synth.places import Region, postal_address, regions
from proxy.synth.translit import latin

_CONTACT_POSITIONS = (
    "Председатель Правления",
    "Директор",
    "Главный бухгалтер",
    "Менеджер по работе с проблемными займами",
    "Юрист",
    "Специалист по взысканию",
)


@dataclass(frozen=True, slots=True)
class Counterparty:
    id: int
    kind: str  # bank | mfo | collection_agency
    name: str
    bank_code: str | None  # the bank's own IBAN code, for banks


def counterparty_list(rng: Random, debtors: int) -> list[Counterparty]:
    """All banks, the named MFOs and agencies, and more MFOs for large datasets."""
    out = [Counterparty(0, "bank", b.name, b.code) for b in banks()]
    out += [Counterparty(0, "mfo", name, None) for name in named_organisations("mfo")]
    for n in range(debtors // 20_000):
        out.append(Counterparty(0, "mfo", f"МФО «Кредит Плюс-{n + 1}»", None))
    out += [Counterparty(0, "collection_agency", n, None) for n in named_organisations("agency")]
    return [Counterparty(i, c.kind, c.name, c.bank_code) for i, c in enumerate(out, 1)]


def _head_office(rng: Random) -> Region:
    by_name = {r.name: r for r in regions()}
    return by_name["Алматы"] if rng.random() < 0.7 else by_name["Астана"]


def _domain(name: str, counterparty_id: int) -> str:
    inner = name[name.index("«") + 1 : name.rindex("»")] if "«" in name else name
    slug = latin(inner) or "org"
    return f"{slug[:20]}{counterparty_id}.kz"


def counterparty_row(
    rng: Random, cp: Counterparty, bins: BinSource, organisation: int
) -> tuple[str, int, int | None]:
    """A `counterparties` line, the contract date and its end (None: open-ended)."""
    region = _head_office(rng)
    city = region.center
    address, _ = postal_address(rng, region, city, False)
    phone = write_landline(landline_number(rng, city.area_code), len(city.area_code), 0)
    signed = rng.randrange(date(2018, 1, 1).toordinal(), date(2025, 6, 1).toordinal())
    until = None if rng.random() < 0.6 else f.years_after(signed, rng.randrange(2, 6))
    line = (
        f"{cp.id}\t{cp.kind}\t{bins.bin(organisation, head_office=True)}\t{cp.name}\t{address}\t"
        f"{random_iban(rng, cp.bank_code)}\t{phone}\tinfo@{_domain(cp.name, cp.id)}\t"
        f"ДС-{date.fromordinal(signed).year % 100:02d}/{cp.id:04d}\t{f.day(signed)}\t"
        f"{f.NULL if until is None else f.day(until)}"
    )
    return line, signed, until


def contact_rows(
    rng: Random, cp: Counterparty, first_id: int, people: IdentitySource, person_start: int
) -> list[str]:
    """2-4 contact persons; the first (a manager) usually with an IIN."""
    out = []
    for n in range(rng.randrange(2, 5)):
        contact_id = first_id + n
        identity = people.identity(person_start + contact_id - 1)
        name = random_name(rng, identity.male)
        position = _CONTACT_POSITIONS[0 if n == 0 else rng.randrange(1, len(_CONTACT_POSITIONS))]
        iin = identity.iin if n == 0 and rng.random() < 0.7 else f.NULL
        out.append(
            f"{contact_id}\t{cp.id}\t{name.last}\t{name.first}\t{f.opt(name.patronymic)}\t"
            f"{position}\t{iin}\t{random_mobile(rng)}\t{work_email(name, _domain(cp.name, cp.id))}"
        )
    return out


def counterparty_consent_row(
    consent_id: int, cp: Counterparty, signed: int, until: int | None
) -> str:
    """Consent by contract (clause 5.2): locked while the contract's obligations are open."""
    active = until is None or until > f.AS_OF
    return (
        f"{consent_id}\tcounterparty\t{f.NULL}\t{cp.id}\t{f.NULL}\tcontract\tcontract\t"
        f"{f.local_time(signed, 39600)}\t{f.NULL if until is None else f.day(until)}\t{f.NULL}\t"
        f"{f.flag(active)}\t{'unfulfilled_obligation' if active else f.NULL}\t"
        f"договор ДС-{cp.id:04d}"
    )
