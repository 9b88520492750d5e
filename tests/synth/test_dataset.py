"""A built dataset, checked value by value with independent implementations (kz_checks.py):
every IIN, BIN and IBAN is valid, IINs agree with birth dates and sex, identifiers are unique,
phones are Kazakh numbers, names carry Kazakh letters, free text embeds personal data, foreign
keys hold, and collectors are assigned only within their region.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest

from proxy.synth import PERSONAL_COLUMNS, SUBJECT_KEYS, TABLES, DatasetReport, build_dataset
from proxy.synth.catalogue import columns_of_kind

from .db import fetch
from .kz_checks import (
    PHONE_IN_TEXT,
    bin_is_valid,
    iban_is_valid,
    iin_birth_and_sex,
    iin_is_valid,
    kz_phone,
)

DEBTORS = 1_500
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


@pytest.fixture(scope="module")
def built(fresh_dsn: str) -> Iterator[tuple[str, DatasetReport]]:
    report = asyncio.run(build_dataset(fresh_dsn, debtors=DEBTORS, seed=77))
    yield fresh_dsn, report


def _values(dsn: str, qualified: str) -> list[str]:
    table, column = qualified.split(".")
    rows = fetch(dsn, f"SELECT {column}::text FROM public.{table} WHERE {column} IS NOT NULL")
    return [row[0] for row in rows]


def test_report_counts_match_the_tables(built: tuple[str, DatasetReport]) -> None:
    dsn, report = built
    assert report.debtors == DEBTORS and report.seed == 77
    assert list(report.rows) == list(TABLES)
    for table in TABLES:
        assert fetch(dsn, f"SELECT count(*) FROM public.{table}")[0][0] == report.rows[table]
    assert report.total_rows > 20 * DEBTORS // 2


@pytest.mark.parametrize("column", columns_of_kind("iin"))
def test_every_iin_is_valid_and_unique(built: tuple[str, DatasetReport], column: str) -> None:
    values = _values(built[0], column)
    invalid = sum(not iin_is_valid(v) for v in values)
    assert values and invalid == 0, f"{invalid} invalid IINs in {column}"
    if column != "tax_arrears.head_iin":  # one debtor may head several indebted companies
        assert len(set(values)) == len(values), f"duplicate IINs in {column}"


@pytest.mark.parametrize("column", columns_of_kind("bin"))
def test_every_bin_is_valid_and_unique(built: tuple[str, DatasetReport], column: str) -> None:
    values = _values(built[0], column)
    invalid = sum(not bin_is_valid(v) for v in values)
    assert values and invalid == 0, f"{invalid} invalid BINs in {column}"
    assert len(set(values)) == len(values), f"duplicate BINs in {column}"


@pytest.mark.parametrize("column", columns_of_kind("iban"))
def test_every_iban_is_valid(built: tuple[str, DatasetReport], column: str) -> None:
    values = _values(built[0], column)
    invalid = sum(not iban_is_valid(v) for v in values)
    assert values and invalid == 0, f"{invalid} invalid IBANs in {column}"


@pytest.mark.parametrize("table", ["debtors", "employees"])
def test_iin_agrees_with_birth_date_and_sex(built: tuple[str, DatasetReport], table: str) -> None:
    rows = fetch(built[0], f"SELECT iin, birth_date, sex FROM public.{table}")
    mismatched = sum(iin_birth_and_sex(r["iin"]) != (r["birth_date"], r["sex"]) for r in rows)
    assert mismatched == 0, f"{mismatched} IINs disagree with birth_date/sex in {table}"


def test_iins_are_unique_across_all_people(built: tuple[str, DatasetReport]) -> None:
    people = [
        v
        for c in ("debtors.iin", "employees.iin", "relatives.iin", "counterparty_contacts.iin")
        for v in _values(built[0], c)
    ]
    assert len(set(people)) == len(people)


@pytest.mark.parametrize("column", columns_of_kind("phone"))
def test_phones_are_kazakh_numbers(built: tuple[str, DatasetReport], column: str) -> None:
    values = _values(built[0], column)
    foreign = sum(kz_phone(v) is None for v in values)
    assert values and foreign == 0, f"{foreign} values in {column} are not KZ phone numbers"


def test_phones_come_in_several_written_forms(built: tuple[str, DatasetReport]) -> None:
    shapes = {re.sub(r"\d", "9", v) for v in _values(built[0], "debtors.phone")}
    assert len(shapes) >= 8


def test_names_use_kazakh_letters_and_russified_forms(built: tuple[str, DatasetReport]) -> None:
    names = [r[0] for r in fetch(built[0], "SELECT first_name || last_name FROM public.debtors")]
    with_letters = sum(bool(KAZAKH_LETTERS & set(n)) for n in names)
    assert 0.15 * len(names) < with_letters < 0.8 * len(names)
    patronymics = _values(built[0], "debtors.patronymic")
    for ending in ("ович", "овна", "ұлы", "қызы"):
        assert any(p.endswith(ending) for p in patronymics), ending


def test_addresses_use_russian_and_kazakh_markers(built: tuple[str, DatasetReport]) -> None:
    addresses = " ".join(_values(built[0], "debtors.address"))
    for marker in (
        "ул.",
        "пр.",
        "мкр",
        "д.",
        "кв.",
        "көшесі",
        "даңғылы",
        "шағын ауданы",
        "үй",
        "пәтер",
    ):
        assert marker in addresses, marker
    postcodes = _values(built[0], "debtors.postcode")
    assert any(re.fullmatch(r"\d{6}", p) for p in postcodes)
    assert any(re.fullmatch(r"[A-Z]\d{2}[A-Z]\d[A-Z]\d", p) for p in postcodes)


@pytest.mark.parametrize(
    ("column", "minimum"),
    [
        # column, minimum share of texts quoting the debtor's IIN / a phone / the name / Kazakh
        pytest.param("complaints.text", (0.4, 0.4, 0.3, 0.2), id="complaints"),
        pytest.param("applications.text", (0.4, 0.3, 0.5, 0.2), id="applications"),
        pytest.param("contact_events.note", (0.03, 0.3, 0.2, 0.1), id="call-notes"),
    ],
)
def test_free_text_embeds_personal_data(
    built: tuple[str, DatasetReport], column: str, minimum: tuple[float, ...]
) -> None:
    assert PERSONAL_COLUMNS[column] == ("free_text", "applicant")
    table, text_column = column.split(".")
    rows = fetch(
        built[0],
        f"SELECT t.{text_column} AS body, d.last_name, d.iin FROM public.{table} t "
        f"JOIN public.debtors d ON d.id = t.debtor_id WHERE t.{text_column} IS NOT NULL",
    )
    total = len(rows)
    shares = (
        sum(r["iin"] in r["body"] for r in rows) / total,
        sum(any(kz_phone(m) for m in PHONE_IN_TEXT.findall(r["body"])) for r in rows) / total,
        sum(r["last_name"][:-2] in r["body"] for r in rows) / total,
        sum("ЖСН" in r["body"] or bool(KAZAKH_LETTERS & set(r["body"])) for r in rows) / total,
    )
    del rows  # never let assertion introspection print the texts
    for what, share, least in zip(("IIN", "phone", "name", "Kazakh"), shares, minimum, strict=True):
        assert share >= least, f"only {share:.0%} of {column} carry a {what}"


def test_free_text_columns_are_all_in_the_catalogue() -> None:
    assert sorted(columns_of_kind("free_text")) == [
        "applications.text",
        "complaints.text",
        "contact_events.note",
    ]


def test_contract_numbers_include_iin_lookalikes_that_fail_the_check(
    built: tuple[str, DatasetReport],
) -> None:
    numbers = _values(built[0], "loans.contract_number")
    twelve = [n for n in numbers if re.fullmatch(r"\d{12}", n)]
    assert len(twelve) > len(numbers) // 2
    assert sum(iin_is_valid(n) for n in twelve if not n.startswith(("19", "20"))) == 0


def test_every_expected_foreign_key_exists(built: tuple[str, DatasetReport]) -> None:
    rows = fetch(
        built[0],
        "SELECT conrelid::regclass::text AS child, a.attname AS col, "
        "confrelid::regclass::text AS parent FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace",
    )
    found = {(r["child"], r["col"], r["parent"]) for r in rows}
    for table, keys in SUBJECT_KEYS.items():
        for key in keys:
            if key.column != "id":
                assert (table, key.column, key.subject_table) in found, (table, key.column)
    assert ("payments", "loan_id", "loans") in found
    assert ("contact_events", "employee_id", "employees") in found
    assert ("debtors", "region", "regions") in found


def test_catalogue_names_only_existing_columns(built: tuple[str, DatasetReport]) -> None:
    rows = fetch(
        built[0],
        "SELECT table_name || '.' || column_name FROM information_schema.columns "
        "WHERE table_schema = 'public'",
    )
    existing = {r[0] for r in rows}
    assert set(PERSONAL_COLUMNS) <= existing
    for table, keys in SUBJECT_KEYS.items():
        assert all(f"{table}.{k.column}" in existing for k in keys)
    assert {name.split(".")[0] for name in PERSONAL_COLUMNS} <= set(SUBJECT_KEYS)


def test_assignments_stay_within_the_collectors_region(built: tuple[str, DatasetReport]) -> None:
    dsn = built[0]
    wrong = fetch(
        dsn,
        "SELECT count(*) FROM public.case_assignments a "
        "JOIN public.debtors d ON d.id = a.debtor_id "
        "JOIN public.employees e ON e.id = a.employee_id "
        "WHERE a.region <> d.region OR e.region <> d.region "
        "OR e.department NOT LIKE 'Отдел взыскания%'",
    )[0][0]
    assert wrong == 0
    unassigned = fetch(
        dsn,
        "SELECT count(*) FROM public.debtors d WHERE NOT EXISTS (SELECT 1 FROM "
        "public.case_assignments a WHERE a.debtor_id = d.id AND a.is_active)",
    )[0][0]
    assert unassigned == 0


def test_consents_follow_section_5(built: tuple[str, DatasetReport]) -> None:
    rows = fetch(
        built[0],
        "SELECT subject_category, purpose, method, count(*) AS n, "
        "count(*) FILTER (WHERE withdrawal_locked) AS locked, "
        "count(*) FILTER (WHERE withdrawn_at IS NOT NULL) AS withdrawn "
        "FROM public.consents GROUP BY 1, 2, 3 ORDER BY 1",
    )
    by_category = {r["subject_category"]: r for r in rows}
    assert by_category["employee"]["method"] == "written"
    assert by_category["counterparty"]["method"] == "contract"
    assert by_category["applicant"]["method"] == "electronic"
    assert by_category["applicant"]["n"] == DEBTORS
    assert by_category["applicant"]["locked"] > 0 and by_category["applicant"]["withdrawn"] > 0


def test_register_extracts_record_their_source(built: tuple[str, DatasetReport]) -> None:
    sources_by_table = {
        "enforcement_proceedings": "aisoip.adilet.gov.kz",
        "court_cases": "office.sud.kz",
        "tax_arrears": "kgd.gov.kz",
    }
    for table, source in sources_by_table.items():
        sources = {r[0] for r in fetch(built[0], f"SELECT DISTINCT source FROM public.{table}")}
        assert sources == {source}
