"""The red-team fixture's policy (tests/redteam/policies), as shared/redteam/README.md states it."""

from __future__ import annotations

import pytest

from proxy.config import load_settings
from proxy.identity.principals import PrincipalDirectory
from proxy.policy.masks import MaskOperator
from tests.policy.support import REDTEAM, redteam_engine
from tests.support import REPO

NULL, LAST4, REDACT = MaskOperator.NULL, MaskOperator.PARTIAL_LAST4, MaskOperator.REDACT
DC, DPO = "debt_collection", "dpo_review"

# id, role, purpose, action, table, column, decision, mask
COLUMNS = [
    ("collector-id", "collector", DC, "select", "debtors", "id", "allow", None),
    ("collector-debt", "collector", DC, "select", "debtors", "debt_amount", "allow", None),
    ("collector-region", "collector", DC, "select", "debtors", "region", "allow", None),
    ("collector-iin", "collector", DC, "select", "debtors", "iin", "mask", LAST4),
    ("collector-name", "collector", DC, "select", "debtors", "full_name", "mask", NULL),
    ("collector-phone", "collector", DC, "select", "debtors", "phone", "mask", NULL),
    ("collector-email", "collector", DC, "select", "debtors", "email", "mask", NULL),
    ("collector-address", "collector", DC, "select", "debtors", "address", "mask", NULL),
    ("collector-birth", "collector", DC, "select", "debtors", "birth_date", "mask", NULL),
    ("collector-notes", "collector", DC, "select", "debtors", "notes", "mask", REDACT),
    ("collector-new-column", "collector", DC, "select", "debtors", "added_later", "deny", None),
    ("collector-payment-id", "collector", DC, "select", "payments", "id", "allow", None),
    ("collector-payment-debtor", "collector", DC, "select", "payments", "debtor_id",
     "allow", None),
    ("collector-paid-at", "collector", DC, "select", "payments", "paid_at", "allow", None),
    ("collector-amount", "collector", DC, "select", "payments", "amount", "allow", None),
    ("collector-employee-id", "collector", DC, "select", "employees", "id", "deny", None),
    ("collector-salary", "collector", DC, "select", "employees", "salary", "deny", None),
    ("collector-insert", "collector", DC, "insert", "payments", "amount", "deny", None),
    ("collector-update", "collector", DC, "update", "debtors", "debt_amount", "deny", None),
    ("collector-delete", "collector", DC, "delete", "payments", "id", "deny", None),
    ("collector-marketing", "collector", "marketing", "select", "debtors", "id", "deny", None),
    ("collector-dpo-purpose", "collector", DPO, "select", "payments", "id", "deny", None),
    ("dpo-iin", "dpo", DPO, "select", "debtors", "iin", "allow", None),
    ("dpo-notes", "dpo", DPO, "select", "debtors", "notes", "allow", None),
    ("dpo-salary", "dpo", DPO, "select", "employees", "salary", "allow", None),
    ("dpo-payments", "dpo", DPO, "select", "payments", "amount", "allow", None),
    ("dpo-update", "dpo", DPO, "update", "debtors", "iin", "deny", None),
    ("dpo-insert", "dpo", DPO, "insert", "employees", "id", "deny", None),
    ("dpo-delete", "dpo", DPO, "delete", "payments", "id", "deny", None),
    ("dpo-other-purpose", "dpo", DC, "select", "debtors", "id", "deny", None),
    ("intern-debtors", "intern", DC, "select", "debtors", "id", "deny", None),
    ("intern-payments", "intern", DPO, "select", "payments", "amount", "deny", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("role", "purpose", "action", "table", "column", "decision", "mask"),
    [case[1:] for case in COLUMNS],
    ids=[case[0] for case in COLUMNS],
)
def test_column_decision(
    role: str,
    purpose: str,
    action: str,
    table: str,
    column: str,
    decision: str,
    mask: MaskOperator | None,
) -> None:
    verdict = redteam_engine().decide((role,), purpose, action, f"public.{table}", [column])
    got = verdict.column(column)
    assert (got.decision, got.mask) == (decision, mask), got.rule
    assert verdict.denied is (decision == "deny")


@pytest.mark.parametrize(
    ("role", "purpose", "table", "row_filter"),
    [
        ("collector", DC, "debtors", "region = 'Алматы'"),
        ("collector", DC, "payments", None),
        ("dpo", DPO, "debtors", None),
    ],
    ids=["collector-debtors-region", "collector-payments-all", "dpo-all"],
)
def test_rows(role: str, purpose: str, table: str, row_filter: str | None) -> None:
    principal = PrincipalDirectory.from_policies(REDTEAM).principals[role]
    verdict = redteam_engine().decide((role,), purpose, "select", f"public.{table}", ["id"])
    assert verdict.render_row_filter_sql(principal.attributes) == row_filter


@pytest.mark.parametrize(
    ("token", "name", "default_purpose"),
    [
        ("collector-secret", "collector", DC),
        ("dpo-secret", "dpo", DPO),
        ("intern-secret", "intern", None),
    ],
    ids=["collector", "dpo", "intern"],
)
def test_readme_passwords_are_the_tokens(
    token: str, name: str, default_purpose: str | None
) -> None:
    principal = PrincipalDirectory.from_policies(REDTEAM).authenticate(token)
    assert (principal.name, principal.default_purpose) == (name, default_purpose)


def test_the_settings_point_at_the_fixture_policies() -> None:
    settings = load_settings(REPO / "tests" / "redteam" / "proxy.toml", {}, {})
    assert settings.policies.dir == REDTEAM
