"""Engine semantics on small policies: deny overrides, default deny, globs, inheritance, roles
combined, masked roles never write, the decision cache and the version."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.errors import AccessDenied
from proxy.policy.engine import PolicyEngine
from proxy.policy.masks import MaskOperator
from tests.policy.support import MODEL, demo_engine, write_policies

CATALOGUE = """
[tables."public.debtors"]
subjects = [{ key = "id", of = "public.debtors", category = "applicant" }]
[tables."public.debtors".columns]
iin = { kind = "iin" }
birth_date = { kind = "birth_date", mask = "year_only" }
"""

POLICY = """\
g, senior, clerk
g, clerk, staff
p, staff, public.secret.*, *, *, deny, deny, 1
p, clerk, public.debtors.amount, select, work, deny, deny, 5
p, clerk, public.*.iin, select, work, allow, mask, 100
p, clerk, public.debtors.birth_date, select, work, allow, mask, 100
p, clerk, public.debtors.phone, select, work, allow, mask:partial_last4, 100
p, clerk, public.debtors.salary, select, work, allow, mask:year_only, 100
p, clerk, public.*.*, select, work, allow, allow, 300
p, senior, public.debtors.iin, select, work, allow, allow, 90
p, auditor, public.debtors.*, select, work, allow, mask:null, 200
p, auditor, public.debtors.*, update, work, allow, allow, 200
p, writer, public.debtors.*, update, work, allow, allow, 200
p, globber, public.*.iin, select, work, allow, allow, 200
p, half_masked, public.debtors.iin, select, work, allow, mask, 100
p, half_masked, public.debtors.*, select, work, allow, allow, 200
p, half_masked, public.debtors.*, update, work, allow, allow, 200
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> PolicyEngine:
    folder = write_policies(tmp_path_factory.mktemp("policies"), POLICY, CATALOGUE)
    return PolicyEngine.load(folder, MODEL)


# id, roles, table, column, decision, mask, rule text fragment
CASES = [
    ("deny-overrides-glob-allow", ("clerk",), "debtors", "amount", "deny", None,
     "line 4: clerk is denied select on public.debtors.amount"),
    ("inherited-deny-overrides", ("clerk",), "secret", "iin", "deny", None,
     "clerk (inheriting from staff) is denied"),
    ("glob-mask-iin", ("clerk",), "debtors", "iin", "mask", MaskOperator.PARTIAL_LAST4,
     "partial_last4, the catalogue's mask for iin"),
    ("glob-iin-other-table", ("clerk",), "loans", "iin", "mask", MaskOperator.NULL,
     "NULL for a column this operator cannot mask"),
    ("glob-iin-not-amount", ("clerk",), "loans", "amount", "allow", None, "in clear"),
    ("catalogue-mask", ("clerk",), "debtors", "birth_date", "mask", MaskOperator.YEAR_ONLY,
     "year_only"),
    ("rule-mask-uncatalogued", ("clerk",), "debtors", "phone", "mask", MaskOperator.NULL,
     "NULL for a column"),
    ("unfit-operator-becomes-null", ("clerk",), "debtors", "salary", "mask", MaskOperator.NULL,
     "NULL"),
    ("inheritance-override", ("senior",), "debtors", "iin", "allow", None,
     "line 10: senior may see"),
    ("inheritance-keeps-rest", ("senior",), "debtors", "birth_date", "mask",
     MaskOperator.YEAR_ONLY, "senior (inheriting from clerk)"),
    ("default-deny", ("auditor",), "loans", "amount", "deny", None, "(default deny)"),
    ("unknown-role", ("nobody",), "debtors", "iin", "deny", None, "(default deny)"),
    ("roles-combine-to-least", ("senior", "auditor"), "debtors", "iin", "mask",
     MaskOperator.NULL, ""),
    ("explicit-deny-of-any-role", ("auditor", "clerk"), "debtors", "amount", "deny", None,
     "clerk is denied"),
    ("role-not-reaching-table-ignored", ("auditor", "clerk"), "loans", "amount", "allow", None,
     "clerk may see"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("roles", "table", "column", "decision", "mask", "rule"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decision(
    engine: PolicyEngine,
    roles: tuple[str, ...],
    table: str,
    column: str,
    decision: str,
    mask: MaskOperator | None,
    rule: str,
) -> None:
    got = engine.decide(roles, "work", "select", f"public.{table}", [column]).column(column)
    assert (got.decision, got.mask) == (decision, mask)
    assert rule in got.rule


@pytest.mark.parametrize(
    ("table", "column", "decision"),
    [
        ("public.debtors", "iin", "allow"),
        ("public.loans", "iin", "allow"),
        ("public.debtors", "amount", "deny"),
        ("public.debtors", "iin_old", "deny"),
        ("public.debtors", "old_iin", "deny"),
        ("other.debtors", "iin", "deny"),
    ],
    ids=lambda value: str(value),
)
def test_glob_matches_whole_parts(
    engine: PolicyEngine, table: str, column: str, decision: str
) -> None:
    # `public.*.iin` must not match public.debtors.amount, as keyMatch's prefix match would
    got = engine.decide(("globber",), "work", "select", table, [column]).column(column)
    assert got.decision == decision


@pytest.mark.parametrize(
    ("roles", "action", "denied", "reason"),
    [
        (("auditor",), "update", True, "never writes to it"),
        (("half_masked",), "update", True, "never writes to it"),
        (("writer",), "update", False, "writer may update"),
        (("writer",), "delete", True, "default deny"),
        (("clerk",), "update", True, "default deny"),
    ],
    ids=[
        "masked-role-never-writes",
        "masked-elsewhere-in-table",
        "clear-writer",
        "no-delete-line",
        "no-write-line",
    ],
)
def test_writes(
    engine: PolicyEngine, roles: tuple[str, ...], action: str, denied: bool, reason: str
) -> None:
    # only `amount` is written: the masked iin elsewhere in the table still forbids the write
    verdict = engine.decide(roles, "work", action, "public.debtors", ["amount"])
    assert verdict.denied is denied
    assert reason in verdict.reason


def test_denied_table_raises_42501(engine: PolicyEngine) -> None:
    verdict = engine.decide(("clerk",), "work", "select", "public.secret", ["a", "b"])
    with pytest.raises(AccessDenied) as caught:
        verdict.check()
    assert caught.value.sqlstate == "42501"
    assert "line 3: clerk (inheriting from staff) is denied select on public.secret.*" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("roles", "purpose", "action", "table", "columns"),
    [
        ((), "work", "select", "public.debtors", ["id"]),
        (("Clerk",), "work", "select", "public.debtors", ["id"]),
        (("clerk",), "work'; --", "select", "public.debtors", ["id"]),
        (("clerk",), "work", "truncate", "public.debtors", ["id"]),
        (("clerk",), "work", "select", "debtors", ["id"]),
        (("clerk",), "work", "select", "public.deb*", ["id"]),
        (("clerk",), "work", "select", "public.debtors", []),
        (("clerk",), "work", "select", "public.debtors", ["a.b"]),
        (("clerk",), "work", "select", "public.debtors", ["*"]),
    ],
    ids=[
        "no-role", "upper-case-role", "odd-purpose", "unknown-action", "no-schema",
        "glob-in-table", "no-columns", "dot-in-column", "star-column",
    ],
)  # fmt: skip
def test_undecidable_requests_are_denied(
    engine: PolicyEngine,
    roles: tuple[str, ...],
    purpose: str,
    action: str,
    table: str,
    columns: list[str],
) -> None:
    verdict = engine.decide(roles, purpose, action, table, columns)
    assert verdict.denied
    assert "work'" not in verdict.reason


def test_a_repeated_decision_is_a_cache_hit(engine: PolicyEngine) -> None:
    args = (("clerk",), "work", "select", "public.loans", ["id", "amount"])
    first = engine.decide(*args)
    hits = engine.cache_info().hits
    again = engine.decide(*args)
    assert again is first
    assert engine.cache_info().hits == hits + 1


def test_a_reload_is_a_new_engine_with_a_new_version(tmp_path: Path, engine: PolicyEngine) -> None:
    folder = write_policies(tmp_path, POLICY + "p, extra, public.t.a, select, work, allow, "
                            "allow, 400\n", CATALOGUE)  # fmt: skip
    reloaded = PolicyEngine.load(folder, MODEL)
    assert reloaded.version != engine.version
    same = PolicyEngine.load(write_policies(tmp_path / "same", POLICY, CATALOGUE), MODEL)
    assert same.version == engine.version
    assert len(demo_engine().version) == 16


ROLE_FILTERS = """
[clerk."public.debtors"]
filter = "region = principal('region')"
[auditor."public.debtors"]
filter = "id < principal('limit')"
"""


def test_roles_together_see_the_rows_every_filter_allows(tmp_path: Path) -> None:
    folder = write_policies(tmp_path, POLICY, CATALOGUE, ROLE_FILTERS)
    engine = PolicyEngine.load(folder, MODEL)
    verdict = engine.decide(("clerk", "auditor"), "work", "select", "public.debtors", ["iin"])
    sql = verdict.render_row_filter_sql({"region": "x", "limit": 5})
    assert sql == "region = 'x' AND id < 5"
    with pytest.raises(ValueError, match="several row filters"):
        _ = verdict.row_filter
    inherited = engine.decide(("senior",), "work", "select", "public.debtors", ["iin"])
    assert inherited.render_row_filter_sql({"region": "x"}) == "region = 'x'"
