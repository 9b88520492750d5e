"""Engines and file writers shared by the policy tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from proxy.policy.engine import PolicyEngine
from tests.support import REPO

MODEL = REPO / "models.conf"
DEMO = REPO / "policies"
REDTEAM = REPO / "tests" / "redteam" / "policies"

DEBTORS = (
    "id", "iin", "last_name", "first_name", "patronymic", "birth_date", "sex", "id_doc_type",
    "id_doc_number", "id_doc_issued", "region", "city", "address", "postcode", "phone",
    "phone_alt", "email", "debt_amount", "created_at",
)  # fmt: skip

EMPTY_CATALOGUE = "tables = {}\n"


@cache
def demo_engine() -> PolicyEngine:
    return PolicyEngine.load(DEMO, MODEL)


@cache
def redteam_engine() -> PolicyEngine:
    return PolicyEngine.load(REDTEAM, MODEL)


def write_policies(
    folder: Path,
    policy: str,
    catalogue: str = EMPTY_CATALOGUE,
    row_filters: str = "",
) -> Path:
    """A policies folder with these files, for tests of single rules and bad files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.csv").write_text(policy, encoding="utf-8")
    (folder / "catalogue.toml").write_text(catalogue, encoding="utf-8")
    (folder / "row_filters.toml").write_text(row_filters, encoding="utf-8")
    return folder
