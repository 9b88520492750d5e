"""The "world" every chunk of debtors refers to: regions, staff, counterparties, employers.

Built once per dataset in the loading process (it is small: a few thousand employees and some
tens of thousands of employers at a million debtors). `build_world` returns the COPY lines of
the world tables and a compact, picklable `World` that chunk generators receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from proxy.synth.counterparties import (
    Counterparty,
    contact_rows,
    counterparty_consent_row,
    counterparty_list,
    counterparty_row,
)
from proxy.synth.fastrandom import FastRandom
from proxy.synth.organisations import BinSource, company_name
from proxy.synth.people import IdentitySource, PersonIndex
from proxy.synth.permute import derive_key
from proxy.synth.phones import landline_number, write_landline
from proxy.synth.places import postal_address, random_city, random_region, regions
from proxy.synth.plan import Plan
from proxy.synth.staff import (
    Employee,
    collectors_per_region,
    employee_consent_row,
    employee_identities,
    employee_row,
    new_employee,
    staff_count,
    staff_region,
)

_MAX_CONTACTS_PER_COUNTERPARTY = 4


@dataclass(frozen=True)
class Creditor:
    id: int
    kind: str
    name: str
    bank_code: str | None


@dataclass(frozen=True)
class World:
    """What chunk generation needs to know about the world (picklable, built once)."""

    seed: int
    plan: Plan
    persons: PersonIndex
    collectors: tuple[tuple[int, ...], ...]  # collector employee ids by region index
    employee_short: tuple[str, ...]  # "Ахметова А.Б." by employee id - 1
    creditors: tuple[Creditor, ...]  # banks and MFOs
    employers: tuple[tuple[str, str, str], ...]  # (name, BIN, phone) by employer id - 1
    taxpayers_start: int  # organisation index of the first tax-arrears taxpayer


def employer_count(debtors: int) -> int:
    return max(30, debtors // 15)


def build_world(seed: int, debtors: int) -> tuple[World, dict[str, list[str]]]:
    """The world tables' COPY lines (including staff and counterparty consents) and the World."""
    rng = FastRandom(derive_key(seed, "world"))
    people, bins = IdentitySource(seed), BinSource(seed)
    lines: dict[str, list[str]] = {"regions": [_region_row(r.index) for r in regions()]}
    roster = _roster(rng, debtors)
    persons = PersonIndex(debtors, 4 * len(roster) + 100, 0)
    staff, lines["employees"], consents = _employees(rng, people, persons, roster)
    employers, lines["employers"] = _employers(rng, bins, employer_count(debtors))
    cps = counterparty_list(rng, debtors)
    cp_lines: list[str] = []
    contact_lines: list[str] = []
    cp_consents: list[str] = []
    plan = Plan(debtors, len(staff) + len(cps))
    persons = PersonIndex(debtors, persons.employee_candidates, plan.total("relatives"))
    persons.check(len(cps) * _MAX_CONTACTS_PER_COUNTERPARTY)
    for cp in cps:
        line, signed, until = counterparty_row(rng, cp, bins, len(employers) + cp.id - 1)
        cp_lines.append(line)
        contact_lines += contact_rows(
            rng, cp, len(contact_lines) + 1, people, persons.contacts_start
        )
        cp_consents.append(counterparty_consent_row(len(staff) + cp.id, cp, signed, until))
    lines["counterparties"], lines["counterparty_contacts"] = cp_lines, contact_lines
    lines["consents"] = consents + cp_consents
    world = World(
        seed=seed,
        plan=plan,
        persons=persons,
        collectors=_collectors_by_region(staff),
        employee_short=tuple(e.name.short for e in staff),
        creditors=tuple(_creditor(cp) for cp in cps if cp.kind != "collection_agency"),
        employers=tuple(employers),
        taxpayers_start=len(employers) + len(cps),
    )
    return world, lines


def _region_row(index: int) -> str:
    region = regions()[index]
    return (
        f"{index + 1}\t{region.name}\t{region.name_kk}\t{region.kazpost_letter}\t"
        f"{region.center.name}"
    )


def _roster(rng: Random, debtors: int) -> list[tuple[int, bool]]:
    """(region index, is collector) for every employee, collectors first."""
    roster = [
        (region.index, True)
        for region, count in zip(regions(), collectors_per_region(debtors), strict=True)
        for _ in range(count)
    ]
    return roster + [(staff_region(rng).index, False) for _ in range(staff_count(len(roster)))]


def _employees(
    rng: Random, people: IdentitySource, persons: PersonIndex, roster: list[tuple[int, bool]]
) -> tuple[list[Employee], list[str], list[str]]:
    identities = employee_identities(people, persons.employees_start, len(roster))
    staff, rows, consents = [], [], []
    for employee_id, ((region, collector), identity) in enumerate(
        zip(roster, identities, strict=True), 1
    ):
        employee = new_employee(rng, employee_id, identity, regions()[region], collector)
        row, hired = employee_row(rng, employee)
        staff.append(employee)
        rows.append(row)
        consents.append(employee_consent_row(employee_id, employee_id, hired))
    return staff, rows, consents


def _employers(
    rng: Random, bins: BinSource, count: int
) -> tuple[list[tuple[str, str, str]], list[str]]:
    employers, rows = [], []
    for employer_id in range(1, count + 1):
        region = random_region(rng)
        city = random_city(rng, region)
        name, bin_ = company_name(rng), bins.bin(employer_id - 1)
        address, _ = postal_address(rng, region, city, rng.random() < 0.1)
        phone = write_landline(landline_number(rng, city.area_code), len(city.area_code), 0)
        employers.append((name, bin_, phone))
        rows.append(f"{employer_id}\t{bin_}\t{name}\t{region.name}\t{address}\t{phone}")
    return employers, rows


def _collectors_by_region(staff: list[Employee]) -> tuple[tuple[int, ...], ...]:
    by_region: list[list[int]] = [[] for _ in regions()]
    for employee in staff:
        if employee.collector:
            by_region[employee.region.index].append(employee.id)
    return tuple(tuple(ids) for ids in by_region)


def _creditor(cp: Counterparty) -> Creditor:
    return Creditor(cp.id, cp.kind, cp.name, cp.bank_code)
