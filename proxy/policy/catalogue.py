"""The personal-data catalogue: which column holds which kind of personal data, and whose.

Read from `catalogue.toml` in the policies folder when an engine is built. The engine uses it to
turn a bare `mask` decision into an operator (the column's default, from its kind unless the
catalogue names one); audit and subject reports use the subject keys (regulation clauses 3.1,
6.1.1). A column the catalogue does not list is not personal data as far as the policy knows.

    [tables."public.debtors"]
    subjects = [{ key = "id", of = "public.debtors", category = "applicant" }]
    [tables."public.debtors".columns]
    iin = { kind = "iin" }                      # whose = the table's first subject category
    birth_date = { kind = "birth_date", mask = "year_only" }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from proxy.errors import ConfigError
from proxy.policy.files import read_toml, require_name, require_table, table_name
from proxy.policy.masks import DEFAULT_MASKS, Category, Kind, MaskOperator, mask_fits

CATALOGUE_FILE = "catalogue.toml"

E = TypeVar("E", Kind, Category, MaskOperator)


@dataclass(frozen=True)
class SubjectRef:
    """Column `column` of a table names a data subject: a row of `table` of `category`."""

    column: str
    table: str
    category: Category


@dataclass(frozen=True)
class CatalogueColumn:
    name: str
    kind: Kind
    whose: Category
    mask: MaskOperator  # what a bare `mask` decision applies


@dataclass(frozen=True)
class CatalogueTable:
    name: str  # schema.table
    subjects: tuple[SubjectRef, ...]
    columns: Mapping[str, CatalogueColumn]

    @property
    def category(self) -> Category:
        return self.subjects[0].category


@dataclass(frozen=True)
class Catalogue:
    tables: Mapping[str, CatalogueTable]

    def column(self, table: str, column: str) -> CatalogueColumn | None:
        entry = self.tables.get(table)
        return None if entry is None else entry.columns.get(column)

    @classmethod
    def load(cls, path: Path) -> Catalogue:
        raw = read_toml(path)
        unknown = set(raw) - {"tables"}
        if unknown:
            raise ConfigError(f"policy file {path}: unknown key '{sorted(unknown)[0]}'")
        tables = require_table(path, "tables", raw.get("tables", {}))
        parsed = {name: _table(path, name, body) for name, body in tables.items()}
        return cls(MappingProxyType(parsed))


def _enum(path: Path, key: str, value: object, enum: type[E]) -> E:
    try:
        return enum(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ConfigError(f"policy file {path}: {key}: '{value}' is not one of {allowed}") from None


def _table(path: Path, name: str, body: object) -> CatalogueTable:
    key = f"tables.{name}"
    table_name(path, key, name)
    entry = require_table(path, key, body)
    unknown = set(entry) - {"subjects", "columns"}
    if unknown:
        raise ConfigError(f"policy file {path}: {key}.{sorted(unknown)[0]}: unknown key")
    subjects = _subjects(path, key, entry.get("subjects"))
    columns_raw = require_table(path, f"{key}.columns", entry.get("columns", {}))
    columns = {
        column: _column(path, f"{key}.columns.{column}", column, spec, subjects[0].category)
        for column, spec in columns_raw.items()
    }
    return CatalogueTable(name, subjects, MappingProxyType(columns))


def _subjects(path: Path, key: str, value: object) -> tuple[SubjectRef, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"policy file {path}: {key}.subjects must be a non-empty list")
    refs = []
    for index, item in enumerate(value):
        where = f"{key}.subjects[{index}]"
        spec = require_table(path, where, item)
        if set(spec) != {"key", "of", "category"}:
            raise ConfigError(f"policy file {path}: {where} needs exactly key, of and category")
        table_name(path, f"{where}.of", str(spec["of"]))
        refs.append(
            SubjectRef(
                column=require_name(path, f"{where}.key", spec["key"]),
                table=str(spec["of"]),
                category=_enum(path, f"{where}.category", spec["category"], Category),
            )
        )
    return tuple(refs)


def _column(path: Path, key: str, name: str, spec: object, whose: Category) -> CatalogueColumn:
    require_name(path, key, name)
    entry: dict[str, Any] = require_table(path, key, spec)
    unknown = set(entry) - {"kind", "whose", "mask"}
    if unknown:
        raise ConfigError(f"policy file {path}: {key}.{sorted(unknown)[0]}: unknown key")
    if "kind" not in entry:
        raise ConfigError(f"policy file {path}: {key}.kind is required")
    kind = _enum(path, f"{key}.kind", entry["kind"], Kind)
    mask = DEFAULT_MASKS[kind]
    if "mask" in entry:
        mask = _enum(path, f"{key}.mask", entry["mask"], MaskOperator)
        if not mask_fits(mask, kind):
            raise ConfigError(f"policy file {path}: {key}.mask: '{mask}' cannot mask a {kind}")
    if "whose" in entry:
        whose = _enum(path, f"{key}.whose", entry["whose"], Category)
    return CatalogueColumn(name, kind, whose, mask)
