"""The demo policy (policies/): one row per role, purpose, action, table and column."""

from __future__ import annotations

import pytest

from proxy.policy.masks import MaskOperator
from tests.policy.support import DEBTORS, demo_engine

NULL, LAST4, REDACT = MaskOperator.NULL, MaskOperator.PARTIAL_LAST4, MaskOperator.REDACT
DC, LR, DPO, CH, SM = (
    "debt_collection",
    "labour_relations",
    "dpo_review",
    "complaint_handling",
    "security_monitoring",
)

# id, role, purpose, action, table, column, decision, mask
COLUMNS = [
    ("collector-debtor-id", "collector", DC, "select", "debtors", "id", "allow", None),
    ("collector-debt", "collector", DC, "select", "debtors", "debt_amount", "allow", None),
    ("collector-region", "collector", DC, "select", "debtors", "region", "allow", None),
    ("collector-city", "collector", DC, "select", "debtors", "city", "allow", None),
    ("collector-iin", "collector", DC, "select", "debtors", "iin", "mask", LAST4),
    ("collector-last-name", "collector", DC, "select", "debtors", "last_name", "mask", NULL),
    ("collector-birth", "collector", DC, "select", "debtors", "birth_date", "mask", NULL),
    ("collector-doc", "collector", DC, "select", "debtors", "id_doc_number", "mask", NULL),
    ("collector-doc-date", "collector", DC, "select", "debtors", "id_doc_issued", "mask", NULL),
    ("collector-phone", "collector", DC, "select", "debtors", "phone", "mask", NULL),
    ("collector-phone-alt", "collector", DC, "select", "debtors", "phone_alt", "mask", NULL),
    ("collector-email", "collector", DC, "select", "debtors", "email", "mask", NULL),
    ("collector-address", "collector", DC, "select", "debtors", "address", "mask", NULL),
    ("collector-new-col", "collector", DC, "select", "debtors", "added_later", "deny", None),
    ("collector-loan", "collector", DC, "select", "loans", "outstanding", "allow", None),
    ("collector-loan-iban", "collector", DC, "select", "loans", "iban", "mask", NULL),
    ("collector-payment", "collector", DC, "select", "payments", "amount", "allow", None),
    ("collector-note", "collector", DC, "select", "contact_events", "note", "mask", REDACT),
    ("collector-dialled", "collector", DC, "select", "contact_events", "phone_dialled",
     "mask", NULL),
    ("collector-court", "collector", DC, "select", "court_cases", "claim_amount", "allow", None),
    ("collector-employee", "collector", DC, "select", "employees", "id", "deny", None),
    ("collector-salary", "collector", DC, "select", "employees", "salary", "deny", None),
    ("collector-relative", "collector", DC, "select", "relatives", "phone", "deny", None),
    ("collector-complaint", "collector", DC, "select", "complaints", "text", "mask", REDACT),
    ("collector-complaint-status", "collector", DC, "select", "complaints", "status", "allow",
     None),
    ("collector-application", "collector", DC, "select", "applications", "text", "deny", None),
    ("collector-update", "collector", DC, "update", "debtors", "debt_amount", "deny", None),
    ("collector-insert", "collector", DC, "insert", "payments", "amount", "deny", None),
    ("collector-marketing", "collector", "marketing", "select", "debtors", "id", "deny", None),
    ("collector-other-purpose", "collector", LR, "select", "payments", "amount", "deny", None),
    ("senior-phone", "senior_collector", DC, "select", "debtors", "phone", "allow", None),
    ("senior-iin", "senior_collector", DC, "select", "debtors", "iin", "mask", LAST4),
    ("senior-employee", "senior_collector", DC, "select", "employees", "iin", "deny", None),
    ("hr-employee-iin", "hr_officer", LR, "select", "employees", "iin", "allow", None),
    ("hr-salary", "hr_officer", LR, "select", "employees", "salary", "allow", None),
    ("hr-update", "hr_officer", LR, "update", "employees", "phone", "allow", None),
    ("hr-delete", "hr_officer", LR, "delete", "employees", "id", "deny", None),
    ("hr-debtor", "hr_officer", LR, "select", "debtors", "id", "deny", None),
    ("hr-consents", "hr_officer", LR, "select", "consents", "purpose", "allow", None),
    ("hr-wrong-purpose", "hr_officer", DC, "select", "employees", "iin", "deny", None),
    ("dpo-debtor-iin", "dpo", DPO, "select", "debtors", "iin", "allow", None),
    ("dpo-salary", "dpo", DPO, "select", "employees", "salary", "allow", None),
    ("dpo-complaint", "dpo", DPO, "select", "complaints", "text", "allow", None),
    ("dpo-update", "dpo", DPO, "update", "debtors", "email", "deny", None),
    ("dpo-delete", "dpo", DPO, "delete", "debtors", "id", "deny", None),
    ("dpo-ch-complaint", "dpo", CH, "select", "complaints", "text", "allow", None),
    ("dpo-ch-application", "dpo", CH, "select", "applications", "text", "allow", None),
    ("dpo-ch-debtor", "dpo", CH, "select", "debtors", "iin", "deny", None),
    ("analyst-debtor", "security_analyst", SM, "select", "debtors", "id", "deny", None),
    ("analyst-employee", "security_analyst", SM, "select", "employees", "id", "deny", None),
    ("analyst-regions", "security_analyst", SM, "select", "regions", "name", "allow", None),
    ("unknown-role", "janitor", DC, "select", "debtors", "id", "deny", None),
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
    verdict = demo_engine().decide((role,), purpose, action, f"public.{table}", [column])
    got = verdict.column(column)
    assert (got.decision, got.mask) == (decision, mask), got.rule
    assert got.rule.startswith(("policy.csv line ", "no line of policy.csv"))


def test_collector_sees_no_debtor_identity_in_clear() -> None:
    verdict = demo_engine().decide(("collector",), "debt_collection", "select", "public.debtors",
                                   DEBTORS)  # fmt: skip
    clear = {c.column for c in verdict.columns if c.decision == "allow"}
    assert clear == {"id", "region", "city", "debt_amount", "created_at"}
    assert not verdict.denied


# id, role, purpose, table, filtered (rows restricted)
ROWS = [
    ("collector-debtors", "collector", DC, "debtors", True),
    ("collector-payments", "collector", DC, "payments", True),
    ("collector-regions", "collector", DC, "regions", False),
    ("senior-inherits-filter", "senior_collector", DC, "debtors", True),
    ("hr-consents", "hr_officer", LR, "consents", True),
    ("hr-employees", "hr_officer", LR, "employees", False),
    ("dpo-debtors", "dpo", DPO, "debtors", False),
]


@pytest.mark.parametrize(
    ("role", "purpose", "table", "filtered"),
    [case[1:] for case in ROWS],
    ids=[case[0] for case in ROWS],
)
def test_row_filter_presence(role: str, purpose: str, table: str, filtered: bool) -> None:
    verdict = demo_engine().decide((role,), purpose, "select", f"public.{table}", ["id"])
    assert (verdict.row_filter is not None) is filtered


def test_collector_sees_its_region_or_its_cases() -> None:
    verdict = demo_engine().decide(("collector",), DC, "select", "public.debtors", ["id"])
    only_region = verdict.render_row_filter_sql({"region": "Алматы"})
    both = verdict.render_row_filter_sql({"region": "Алматы", "employee_id": 12})
    assert only_region == "region = 'Алматы'"
    assert both is not None and both.startswith("region = 'Алматы' OR id IN (SELECT ca.debtor_id")
    assert "ca.employee_id = 12 AND ca.is_active" in both


def _demo_principals() -> list[tuple[str, str, tuple[str, ...]]]:
    from proxy.identity.demo import DEMO_PRINCIPALS_FILE
    from proxy.identity.principals import PrincipalDirectory
    from tests.policy.support import DEMO

    directory = PrincipalDirectory.from_policies(DEMO, DEMO_PRINCIPALS_FILE)
    return [
        (name, purpose, principal.roles)
        for name, principal in directory.principals.items()
        for purpose in principal.purposes
    ]


@pytest.mark.parametrize(
    ("name", "purpose", "roles"),
    _demo_principals(),
    ids=[f"{name}-{purpose}" for name, purpose, _ in _demo_principals()],
)
def test_every_demo_principal_can_work_for_each_of_its_purposes(
    name: str, purpose: str, roles: tuple[str, ...]
) -> None:
    tables = [*demo_engine().catalogue.tables, "public.regions"]  # regions: not personal
    reachable = [
        table
        for table in tables
        if not demo_engine().decide(roles, purpose, "select", table, ["id"]).denied
    ]
    assert reachable, f"{name} reaches nothing for {purpose}"
