"""One role's decision on one column, and the combination of several roles' decisions.

Inside the decide step, below the engine: Casbin answers which rule matched (`enforce_ex`), and
this module turns that rule into a ColumnDecision with its operator and a readable rule text.
Several roles combine safely: an explicit deny from any role wins (deny overrides); among the
roles that reach a table, each column gets the least any of them gives (deny < mask < allow) and
rows must pass every one of their row filters, so two roles together never see more than the
most restricted of them on a table they share. Roles that do not reach a table do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from proxy.policy.catalogue import Catalogue
from proxy.policy.decisions import ColumnDecision
from proxy.policy.masks import MaskOperator, mask_fits
from proxy.policy.rules import Rule, Verdict

_RANK: dict[Verdict, int] = {"deny": 0, "mask": 1, "allow": 2}


@dataclass(frozen=True)
class Request:
    role: str
    purpose: str
    action: str
    table: str
    file: str  # the policy file's name, for rule texts


@dataclass(frozen=True)
class RoleColumn:
    """One role's decision on a column, and the line that made it (None: default deny)."""

    decision: ColumnDecision
    rule: Rule | None = None

    @property
    def explicit(self) -> bool:
        """Whether a deny line (not default deny) made this decision."""
        return self.rule is not None and self.rule.verdict == "deny"


def judge(request: Request, column: str, rule: Rule | None, catalogue: Catalogue) -> RoleColumn:
    obj = f"{request.table}.{column}"
    if rule is None:
        text = (
            f"no line of {request.file} lets {request.role} {request.action} {obj} "
            f"for {request.purpose} (default deny)"
        )
        return RoleColumn(ColumnDecision(column, "deny", None, text))
    head = f"{request.file} line {rule.line}: {_who(request, rule)}"
    if rule.verdict == "deny":
        text = f"{head} is denied {request.action} on {obj} for {request.purpose}"
        return RoleColumn(ColumnDecision(column, "deny", None, text), rule)
    if rule.verdict == "allow":
        what = f"see {obj} in clear" if request.action == "select" else f"{request.action} {obj}"
        text = f"{head} may {what} for {request.purpose}"
        return RoleColumn(ColumnDecision(column, "allow", None, text), rule)
    operator, source = _operator(request.table, column, rule, catalogue)
    text = f"{head} may see {obj} masked ({operator}{source}) for {request.purpose}"
    return RoleColumn(ColumnDecision(column, "mask", operator, text), rule)


def _who(request: Request, rule: Rule) -> str:
    return who(request.role, rule)


def who(role: str, rule: Rule) -> str:
    """The role, and the role it inherits the rule from if that is another."""
    return role if rule.role == role else f"{role} (inheriting from {rule.role})"


def _operator(
    table: str, column: str, rule: Rule, catalogue: Catalogue
) -> tuple[MaskOperator, str]:
    entry = catalogue.column(table, column)
    kind = None if entry is None else entry.kind
    if rule.mask is not None and mask_fits(rule.mask, kind):
        return rule.mask, ""
    if rule.mask is None and entry is not None:
        return entry.mask, f", the catalogue's mask for {entry.kind}"
    # an operator that does not fit the column (or a column the catalogue does not know): NULL
    # reveals nothing and keeps the type
    return MaskOperator.NULL, ", NULL for a column this operator cannot mask"


def reaches(columns: Sequence[RoleColumn]) -> bool:
    """Whether a role sees anything of the table through these columns."""
    return any(column.decision.decision != "deny" for column in columns)


def combine(per_role: Sequence[Sequence[RoleColumn]]) -> tuple[ColumnDecision, ...]:
    """Per column: an explicit deny from any role, else the least among roles that reach it."""
    contributors = [columns for columns in per_role if reaches(columns)] or list(per_role)
    combined = []
    for index in range(len(per_role[0])):
        explicit = [cols[index] for cols in per_role if cols[index].explicit]
        if explicit:
            combined.append(explicit[0].decision)
            continue
        combined.append(_least([cols[index].decision for cols in contributors]))
    return tuple(combined)


def _least(decisions: Sequence[ColumnDecision]) -> ColumnDecision:
    least = min(decisions, key=lambda decision: _RANK[decision.decision])
    masks = {decision.mask for decision in decisions if decision.decision == "mask"}
    if least.decision == "mask" and len(masks) > 1:
        # roles disagree on the operator: withhold the value entirely
        return ColumnDecision(least.column, "mask", MaskOperator.NULL, least.rule)
    return least
