"""The Chamber's own employees (regulation clause 3.1.1): collectors in every region and staff.

Every region has at least two collectors, so every debtor can be assigned to a collector of
their own region; head-office staff (HR, complaints, lawyers, the data protection officer) sit
mostly in Almaty and Astana. Employees' IINs come from their own range of person indexes,
skipping people too young or too old to be employed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from proxy.synth import rowfmt as f
from proxy.synth.fastrandom import weighted_choice
from proxy.synth.names import FullName, random_name
from proxy.synth.people import Identity, IdentitySource, id_document, work_email
from proxy.synth.phones import mobile_number, write_mobile
from proxy.synth.places import Region, postal_address, random_city, regions

MAIL_DOMAIN = "palata-collectors.kz"
DEBTORS_PER_COLLECTOR = 250
_CHAMBER_FOUNDED = date(2017, 9, 1).toordinal()

_COLLECTOR_POSITIONS = (
    ("Коллектор", 6),
    ("Старший коллектор", 3),
    ("Руководитель группы взыскания", 1),
)
_STAFF = (
    ("Отдел по работе с обращениями", "Специалист по обращениям", 4),
    ("Отдел кадров", "Специалист по кадрам", 2),
    ("Юридический отдел", "Юрист", 2),
    ("Служба защиты персональных данных", "Ответственный за защиту персональных данных", 1),
    ("Служба информационной безопасности", "Аналитик информационной безопасности", 1),
    ("Аналитический отдел", "Аналитик", 2),
    ("Бухгалтерия", "Бухгалтер", 2),
    ("Руководство", "Заместитель председателя", 1),
)


@dataclass(frozen=True, slots=True)
class Employee:
    id: int
    identity: Identity
    name: FullName
    region: Region
    collector: bool


def collectors_per_region(debtors: int) -> list[int]:
    """Collector head count per region, proportional to population, at least two each."""
    total = max(2 * len(regions()), -(-debtors // DEBTORS_PER_COLLECTOR))
    weight_sum = sum(r.weight for r in regions())
    return [max(2, round(total * r.weight / weight_sum)) for r in regions()]


def staff_count(collectors: int) -> int:
    return max(len(_STAFF) + 4, collectors // 5)


def employee_identities(source: IdentitySource, start: int, count: int) -> list[Identity]:
    """The first `count` candidates aged 22-64 on the dataset date, from index `start` on."""
    out: list[Identity] = []
    person = start
    while len(out) < count:
        identity = source.identity(person)
        age_days = f.AS_OF - identity.birth
        if 22 * 365 <= age_days <= 64 * 365:
            out.append(identity)
        person += 1
    return out


def employee_row(rng: Random, employee: Employee) -> tuple[str, int]:
    """One `employees` COPY line, and the hire date's ordinal."""
    name, region, identity = employee.name, employee.region, employee.identity
    if employee.collector:
        position = weighted_choice(rng, _COLLECTOR_POSITIONS)
        department, salary = f"Отдел взыскания ({region.name})", rng.randrange(250, 460) * 1000
    else:
        department, position = _staff_post(rng)
        salary = rng.randrange(300, 900) * 1000
    adult = f.years_after(identity.birth, 21)
    hire = rng.randrange(max(adult, _CHAMBER_FOUNDED), f.AS_OF - 30)
    city = random_city(rng, region)
    home, _ = postal_address(rng, region, city, name.kazakh and rng.random() < 0.2)
    phone = write_mobile(mobile_number(rng), 0 if rng.random() < 0.7 else rng.randrange(9))
    line = (
        f"{employee.id}\t{identity.iin}\t{name.last}\t{name.first}\t{f.opt(name.patronymic)}\t"
        f"{f.day(identity.birth)}\t{'M' if identity.male else 'F'}\t{position}\t{department}\t"
        f"{region.name}\t{f.day(hire)}\t{phone}\t{work_email(name, MAIL_DOMAIN)}\t{home}\t"
        f"{f.money(salary * 100)}\t{id_document(rng)[1]}"
    )
    return line, hire


def employee_consent_row(consent_id: int, employee_id: int, hired: int) -> str:
    """The written consent every employee signs on hiring (regulation clause 5.1)."""
    return (
        f"{consent_id}\temployee\t{employee_id}\t{f.NULL}\t{f.NULL}\tlabour_relations\twritten\t"
        f"{f.local_time(hired, 36000)}\t{f.NULL}\t{f.NULL}\tf\t{f.NULL}\t"
        f"пись.согл. № {employee_id}-ПД"
    )


def _staff_post(rng: Random) -> tuple[str, str]:
    weights = tuple((d, w) for d, _, w in _STAFF)
    department = weighted_choice(rng, weights)
    return department, next(p for d, p, _ in _STAFF if d == department)


def staff_region(rng: Random) -> Region:
    """Head office staff: Almaty mostly, then Astana, a few in regional offices."""
    pick = rng.random()
    by_name = {r.name: r for r in regions()}
    if pick < 0.6:
        return by_name["Алматы"]
    if pick < 0.85:
        return by_name["Астана"]
    return rng.choice(regions())


def new_employee(
    rng: Random, employee_id: int, identity: Identity, region: Region, collector: bool
) -> Employee:
    return Employee(employee_id, identity, random_name(rng, identity.male), region, collector)
