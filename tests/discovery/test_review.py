"""Verdicts beside the catalogue, and the proposals file they make."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from proxy.discovery.classify import Basis, Verdict
from proxy.discovery.evidence import ColumnEvidence, ColumnInfo
from proxy.discovery.report import ReportHeader, render_proposals
from proxy.discovery.review import Review, review_verdicts
from proxy.discovery.sampling import TableInfo
from proxy.discovery.scan import ScanResult
from proxy.policy.catalogue import Catalogue
from proxy.policy.masks import Kind

CATALOGUE = """
[tables."public.people"]
subjects = [{ key = "id", of = "public.people", category = "applicant" }]
[tables."public.people".columns]
iin   = { kind = "iin" }
phone = { kind = "email" }
notes = { kind = "free_text" }
"""


def verdict(table: str, column: str, kind: Kind | None, hint: Kind | None = None) -> Verdict:
    info = ColumnInfo(table, column, "text", "S")
    evidence = ColumnEvidence(sampled=10)
    basis = Basis.VALUES if kind is not None else None
    return Verdict(info, evidence, kind, basis, hint, "test")


VERDICTS = (
    verdict("public.people", "iin", Kind.IIN),
    verdict("public.people", "phone", Kind.PHONE),
    verdict("public.people", "email", Kind.EMAIL),
    verdict("public.people", "notes", None),
    verdict("public.people", "mobile", None, hint=Kind.PHONE),
    verdict("public.orders", "contact", Kind.PHONE),
    verdict('public.odd "name"', "a\nb", Kind.EMAIL),
)


@pytest.fixture
def review(tmp_path: Path) -> Review:
    path = tmp_path / "catalogue.toml"
    path.write_text(CATALOGUE)
    return review_verdicts(VERDICTS, Catalogue.load(path))


def names(verdicts: tuple[Verdict, ...]) -> list[str]:
    return [v.info.qualified for v in verdicts]


def test_each_column_lands_in_one_group(review: Review) -> None:
    assert names(review.new) == [
        "public.people.email",
        "public.orders.contact",
        'public.odd "name".a\nb',
    ]
    assert names(review.agreed) == ["public.people.iin"]
    assert [(d.verdict.info.column, d.catalogued) for d in review.disagreed] == [
        ("phone", Kind.EMAIL)
    ]
    assert [(c.column, c.catalogued) for c in review.catalogue_only] == [("notes", Kind.FREE_TEXT)]
    assert names(review.doubts) == ["public.people.mobile"]


def test_without_a_catalogue_every_finding_is_new() -> None:
    review = review_verdicts(VERDICTS, None)
    assert len(review.new) == 5
    assert (review.agreed, review.disagreed, review.catalogue_only) == ((), (), ())


def test_the_file_is_toml_in_the_catalogue_format(review: Review, tmp_path: Path) -> None:
    tables = tuple(
        TableInfo(name, (), 10.0, ("id",))
        for name in ("public.people", "public.orders", 'public.odd "name"')
    )
    result = ScanResult(tables, VERDICTS, (), 1.0)
    header = ReportHeader("postgresql://u@h/db", "now", 200, "catalogue.toml")
    text = render_proposals(header, result, review)
    parsed = tomllib.loads(text)["tables"]
    assert parsed["public.people"]["subjects"][0]["category"] == "applicant"  # from the catalogue
    assert parsed["public.orders"]["subjects"][0]["category"] == "REVIEW"  # a person decides
    assert parsed['public.odd "name"']["columns"]["a\nb"] == {"kind": "email"}
    assert "# public.people.phone" not in text  # names in comments are TOML keys, quoted
    assert '# "public.people".phone: catalogue email, sample phone' in text
    people_only = tmp_path / "people.toml"
    people_only.write_text(text.split('[tables."public.orders"]')[0])
    assert Catalogue.load(people_only).column("public.people", "email") is not None
