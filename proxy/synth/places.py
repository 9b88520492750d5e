"""Regions, cities, streets, postcodes and postal addresses of Kazakhstan.

Debtors are spread over the 20 regions by population; each region's cities carry their phone
area code and old 6-digit postcodes. Addresses follow the Russian and Kazakh ways of writing
them (ул. Абая, д. 45, кв. 12 / Абай даңғылы, 45 үй, 12 пәтер; kz_domain.md §1.10-1.11).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from random import Random

from proxy.synth.wordlists import rows

_MICRODISTRICTS = (
    "Самал",
    "Аксай",
    "Жетысу",
    "Орбита",
    "Мамыр",
    "Нурсат",
    "Кулагер",
    "Восток",
    "Северо-Восток",
    "Юго-Восток",
    "Таугуль",
    "Шугыла",
    "Алмагуль",
    "Асар",
)
_POSTCODE_LETTERS = "ABCDEFGHJKLMNPRSTUVXYZ"


@dataclass(frozen=True, slots=True)
class City:
    name: str
    name_kk: str
    area_code: str
    post_base: int
    post_count: int


@dataclass(frozen=True, slots=True)
class Region:
    index: int
    name: str
    name_kk: str
    kazpost_letter: str
    weight: int
    cities: tuple[City, ...]

    @property
    def center(self) -> City:
        return self.cities[0]


@cache
def regions() -> tuple[Region, ...]:
    """All regions, in the order of data/regions.txt (their ids are index + 1)."""
    out = []
    for index, (name, name_kk, letter, weight, cities) in enumerate(rows("regions.txt")):
        parsed = tuple(_city(spec) for spec in cities.split(";"))
        out.append(Region(index, name, name_kk, letter, int(weight), parsed))
    return tuple(out)


def _city(spec: str) -> City:
    name, name_kk, area, base, count = spec.split(":")
    return City(name, name_kk, area, int(base), int(count))


@cache
def _cumulative_weights() -> tuple[int, ...]:
    total, out = 0, []
    for region in regions():
        total += region.weight
        out.append(total)
    return tuple(out)


def random_region(rng: Random) -> Region:
    """A region drawn by population share."""
    cumulative = _cumulative_weights()
    return regions()[bisect_right(cumulative, rng.randrange(cumulative[-1]))]


def random_city(rng: Random, region: Region) -> City:
    """The regional centre most of the time, otherwise another town of the region."""
    if len(region.cities) == 1 or rng.random() < 0.7:
        return region.center
    return rng.choice(region.cities[1:])


@cache
def streets() -> tuple[tuple[str, str], ...]:
    """(Kazakh form, Russian form) of street names."""
    return tuple((kk, ru) for kk, ru in rows("streets.txt"))


def old_postcode(rng: Random, city: City) -> str:
    """An old-style 6-digit code of one of the city's post offices."""
    return f"{city.post_base + rng.randrange(city.post_count):06d}"


def new_postcode(rng: Random, region: Region) -> str:
    """A 7-character Kazpost code: region letter, 2 digits, letter, digit, letter, digit."""
    pick = _POSTCODE_LETTERS
    return (
        f"{region.kazpost_letter}{rng.randrange(100):02d}{rng.choice(pick)}"
        f"{rng.randrange(10)}{rng.choice(pick)}{rng.randrange(10)}"
    )


def random_postcode(rng: Random, region: Region, city: City) -> str:
    return new_postcode(rng, region) if rng.random() < 0.4 else old_postcode(rng, city)


def address(rng: Random, region: Region, city: City, kazakh: bool) -> str:
    """A postal address line in Russian or Kazakh, without the postcode."""
    house = rng.randrange(1, 240)
    flat = rng.randrange(1, 180) if rng.random() < 0.75 else 0
    if rng.random() < 0.2:
        micro = f"{rng.choice(_MICRODISTRICTS)}-{rng.randrange(1, 12)}"
        street_kk, street_ru = f"{micro} шағын ауданы", f"мкр {micro}"
    else:
        kk, ru = rng.choice(streets())
        avenue = rng.random() < 0.2
        street_kk = f"{kk} {'даңғылы' if avenue else 'көшесі'}"
        street_ru = f"{'пр.' if avenue else 'ул.'} {ru}"
    if kazakh:
        return _kazakh_address(rng, region, city, street_kk, house, flat)
    return _russian_address(rng, region, city, street_ru, house, flat)


def _russian_address(
    rng: Random, region: Region, city: City, street: str, house: int, flat: int
) -> str:
    place = f"г. {city.name}"
    if city is not region.center or (rng.random() < 0.3 and len(region.cities) > 1):
        place = f"{region.name}, {place}"
    if rng.random() < 0.3:  # the compact form clerks type: ул. Абая 45-12
        return f"{place}, {street} {house}" + (f"-{flat}" if flat else "")
    return f"{place}, {street}, д. {house}" + (f", кв. {flat}" if flat else "")


def _kazakh_address(
    rng: Random, region: Region, city: City, street: str, house: int, flat: int
) -> str:
    place = f"{city.name_kk} {'қ.' if rng.random() < 0.5 else 'қаласы'}"
    if city is not region.center:
        place = f"{region.name_kk}, {place}"
    dash = "-" if rng.random() < 0.5 else " "
    return f"{place}, {street}, {house}{dash}үй" + (f", {flat}{dash}пәтер" if flat else "")


def postal_address(rng: Random, region: Region, city: City, kazakh: bool) -> tuple[str, str]:
    """(address line, postcode); the line sometimes starts with the postcode, as on envelopes."""
    postcode = random_postcode(rng, region, city)
    line = address(rng, region, city, kazakh)
    if rng.random() < 0.25:
        line = f"{postcode}, {line}"
    return line, postcode
