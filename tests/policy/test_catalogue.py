"""The catalogue: the demo's agrees with the generator, masks default from kinds, bad files fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.errors import ConfigError
from proxy.policy.catalogue import Catalogue
from proxy.policy.masks import Category, Kind, MaskOperator
from proxy.synth.catalogue import KINDS, PERSONAL_COLUMNS, SUBJECT_KEYS
from tests.policy.support import DEMO, REDTEAM


@pytest.fixture(scope="module")
def demo() -> Catalogue:
    return Catalogue.load(DEMO / "catalogue.toml")


def test_kinds_are_the_generators_kinds() -> None:
    assert {kind.value for kind in Kind} == set(KINDS)


def test_every_generated_personal_column_is_catalogued(demo: Catalogue) -> None:
    listed = {
        f"{table.split('.')[1]}.{column.name}": (column.kind.value, column.whose.value)
        for table, entry in demo.tables.items()
        for column in entry.columns.values()
    }
    assert listed == dict(PERSONAL_COLUMNS)


def test_subject_keys_are_the_generators(demo: Catalogue) -> None:
    listed = {
        table.split(".")[1]: [(s.column, s.table, s.category.value) for s in entry.subjects]
        for table, entry in demo.tables.items()
    }
    expected = {
        table: [(k.column, f"public.{k.subject_table}", k.category) for k in keys]
        for table, keys in SUBJECT_KEYS.items()
    }
    assert listed == expected


@pytest.mark.parametrize(
    ("table", "column", "mask"),
    [
        ("public.debtors", "iin", MaskOperator.PARTIAL_LAST4),
        ("public.counterparties", "bin", MaskOperator.PARTIAL_LAST4),
        ("public.debtors", "last_name", MaskOperator.NULL),
        ("public.debtors", "phone", MaskOperator.NULL),
        ("public.debtors", "email", MaskOperator.NULL),
        ("public.debtors", "address", MaskOperator.NULL),
        ("public.debtors", "birth_date", MaskOperator.NULL),
        ("public.employees", "salary", MaskOperator.NULL),
        ("public.contact_events", "note", MaskOperator.REDACT),
        ("public.complaints", "text", MaskOperator.REDACT),
    ],
    ids=lambda value: str(value),
)
def test_masks_default_from_the_kind(
    demo: Catalogue, table: str, column: str, mask: MaskOperator
) -> None:
    entry = demo.column(table, column)
    assert entry is not None and entry.mask is mask


def test_redteam_catalogue() -> None:
    catalogue = Catalogue.load(REDTEAM / "catalogue.toml")
    assert set(catalogue.tables["public.debtors"].columns) == {
        "iin", "full_name", "phone", "email", "address", "birth_date", "notes",
    }  # fmt: skip
    assert catalogue.tables["public.employees"].category is Category.EMPLOYEE
    assert catalogue.column("public.debtors", "debt_amount") is None


_TABLE = (
    '[tables."public.t"]\nsubjects = [{ key = "id", of = "public.t", category = "applicant" }]\n'
)

BAD = [
    ("not-toml", "tables = [", "not valid TOML"),
    ("unknown-top", "tablez = {}", "unknown key 'tablez'"),
    ("bad-table-name", '[tables."debtors"]\nsubjects = []', "tables.debtors"),
    ("no-subjects", '[tables."public.t"]\n', "tables.public.t.subjects"),
    ("bad-category", _TABLE.replace("applicant", "client"), "'client' is not one of"),
    ("bad-kind", _TABLE + '[tables."public.t".columns]\nx = { kind = "dna" }', "columns.x.kind"),
    (
        "mask-unfit",
        _TABLE + '[tables."public.t".columns]\nx = { kind = "phone", mask = "year_only" }',
        "columns.x.mask: 'year_only' cannot mask a phone",
    ),
    (
        "bad-mask",
        _TABLE + '[tables."public.t".columns]\nx = { kind = "phone", mask = "scramble" }',
        "columns.x.mask",
    ),
    ("extra-key", _TABLE + '[tables."public.t".columns]\nx = { kind = "iin", y = 1 }', "x.y"),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_catalogue_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"catalogue\.toml") as caught:
        Catalogue.load(path)
    assert message in caught.value.message
