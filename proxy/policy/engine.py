"""The policy engine: the decide step of the pipeline (identify → analyse → decide → rewrite).

Built once from the policies folder (`catalogue.toml`, `policy.csv`, `row_filters.toml`) and the
Casbin model, then immutable: a reload builds a new engine and swaps it in whole, so a decision
never mixes two versions of the policy. `version` is a digest of every file read. Decisions are
cached per engine (so per version) on (roles, purpose, action, table, columns): a repeated
statement costs a dictionary look-up, not a Casbin walk.

Default deny: a column no line grants is denied; a table none of whose columns is visible is
denied; roles that see a table masked never insert, update or delete on it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import casbin

from proxy.errors import ConfigError
from proxy.policy.casbin_adapter import EXPECTED_TOKENS, RulesAdapter
from proxy.policy.catalogue import CATALOGUE_FILE, Catalogue
from proxy.policy.consistency import check_consistency
from proxy.policy.decisions import TableDecision
from proxy.policy.files import NAME, digest
from proxy.policy.judge import Request, RoleColumn, combine, judge, reaches, who
from proxy.policy.masks import MaskOperator
from proxy.policy.row_filters import ROW_FILTERS_FILE, RowFilter, RowFilters
from proxy.policy.rules import ACTIONS, POLICY_FILE, PolicyFile, Rule

CACHE_SIZE = 65_536
WRITES = frozenset(ACTIONS) - {"select"}


@dataclass(frozen=True)
class PolicyEngine:
    version: str
    catalogue: Catalogue
    policy: PolicyFile
    row_filters: RowFilters
    _enforcer: Any = field(repr=False, compare=False)
    _rules: dict[tuple[str, ...], Rule] = field(repr=False, compare=False)
    _cached: Callable[..., TableDecision] = field(init=False, repr=False, compare=False)
    _matched: Callable[..., Rule | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # per engine, so per version: a reload starts with empty caches
        object.__setattr__(self, "_cached", functools.lru_cache(CACHE_SIZE)(self._decide))
        object.__setattr__(self, "_matched", functools.lru_cache(CACHE_SIZE)(self._enforce))

    @classmethod
    def load(cls, policies_dir: Path, model: Path) -> PolicyEngine:
        files = [
            model,
            *(policies_dir / n for n in (CATALOGUE_FILE, POLICY_FILE, ROW_FILTERS_FILE)),
        ]
        version = digest(files)
        catalogue = Catalogue.load(files[1])
        policy = PolicyFile.load(files[2])
        row_filters = RowFilters.load(files[3])
        check_consistency(policy, catalogue, row_filters)
        enforcer = _enforcer(model, policy)
        rules = {tuple(rule.casbin()): rule for rule in policy.rules}
        return cls(version, catalogue, policy, row_filters, enforcer, rules)

    def decide(
        self, roles: Sequence[str], purpose: str, action: str, table: str, columns: Sequence[str]
    ) -> TableDecision:
        """The decision on `columns` of `table` (schema.table) for these roles and purpose."""
        return self._cached(tuple(roles), purpose, action, table, tuple(columns))

    def cache_info(self) -> Any:
        return self._cached.cache_info()  # type: ignore[attr-defined]

    def sees_all_personal_data(self, roles: Sequence[str], purpose: str) -> bool:
        """Whether these roles, for this purpose, read every column the catalogue classifies in
        clear (the need-to-know of a DPO); any other principal's results pass the tripwire."""
        decisions = (
            self.decide(roles, purpose, "select", table, tuple(entry.columns))
            for table, entry in self.catalogue.tables.items()
        )
        return all(c.decision == "allow" for decision in decisions for c in decision.columns)

    def masks_in_use(self) -> frozenset[MaskOperator]:
        """Every mask operator a rule or the catalogue names (defaults included)."""
        named = {rule.mask for rule in self.policy.rules if rule.mask is not None}
        defaults = {c.mask for t in self.catalogue.tables.values() for c in t.columns.values()}
        return frozenset(named | defaults)

    def _decide(
        self,
        roles: tuple[str, ...],
        purpose: str,
        action: str,
        table: str,
        columns: tuple[str, ...],
    ) -> TableDecision:
        refusal = _unusable(roles, purpose, action, table, columns)
        if refusal is not None:
            return _denied(table, action, purpose, refusal)
        per_role = [self._role_columns(role, purpose, action, table, columns) for role in roles]
        decisions = combine(per_role)
        reaching = [role for role, cols in zip(roles, per_role, strict=True) if reaches(cols)]
        if not any(decision.decision != "deny" for decision in decisions):
            reason = _refusal(per_role, roles, action, table, purpose, self.policy.path.name)
            return TableDecision(table, action, purpose, decisions, (), True, reason)
        if action in WRITES:
            refusal = self._masked_writer(roles, purpose, table, columns)
            if refusal is not None:
                return TableDecision(table, action, purpose, decisions, (), True, refusal)
        filters = tuple(f for f in (self._row_filter(r, table) for r in reaching) if f)
        reason = f"{', '.join(reaching)} may {action} {table} for {purpose}"
        return TableDecision(table, action, purpose, decisions, filters, False, reason)

    def _role_columns(
        self, role: str, purpose: str, action: str, table: str, columns: tuple[str, ...]
    ) -> list[RoleColumn]:
        request = Request(role, purpose, action, table, self.policy.path.name)
        return [judge(request, c, self._match(request, c), self.catalogue) for c in columns]

    def _match(self, request: Request, column: str) -> Rule | None:
        obj = f"{request.table}.{column}"
        return self._matched(request.role, obj, request.action, request.purpose)

    def _enforce(self, role: str, obj: str, action: str, purpose: str) -> Rule | None:
        """The policy line Casbin's priority effect settles on, or None (default deny)."""
        _, explain = self._enforcer.enforce_ex(role, obj, action, purpose)
        return self._rules.get(tuple(explain)) if explain else None

    def _masked_writer(
        self, roles: tuple[str, ...], purpose: str, table: str, columns: tuple[str, ...]
    ) -> str | None:
        # the whole table as the catalogue knows it, not only the columns this statement writes:
        # a WHERE on a masked column of an UPDATE is as much an oracle as a SELECT's
        entry = self.catalogue.tables.get(table)
        personal = tuple(entry.columns) if entry is not None else ()
        everything = tuple(dict.fromkeys((*columns, *personal)))
        seen = self.decide(roles, purpose, "select", table, everything)
        if seen.masked:
            return (
                f"{', '.join(roles)} see {table} masked for {purpose}, and a role that sees a "
                "table masked never writes to it"
            )
        return None

    def _row_filter(self, role: str, table: str) -> RowFilter | None:
        # a role's own filter, else the nearest one it inherits
        for name in (role, *self._enforcer.get_implicit_roles_for_user(role)):
            found = self.row_filters.get(name, table)
            if found is not None:
                return found
        return None


def _unusable(
    roles: tuple[str, ...], purpose: str, action: str, table: str, columns: tuple[str, ...]
) -> str | None:
    """Why a request cannot be decided at all (names a glob could misread), or None."""
    if not roles:
        return "the principal has no role, and a principal without a role is denied everything"
    if not all(NAME.fullmatch(role) for role in roles):
        return "a role name is not a plain lower-case name"
    if not NAME.fullmatch(purpose):
        return "the stated purpose is not a plain lower-case name"
    if action not in ACTIONS:
        return f"the action must be one of {', '.join(ACTIONS)}"
    parts = table.split(".")
    if len(parts) != 2 or not all(NAME.fullmatch(part) for part in parts):
        return "the table must be named schema.table with plain lower-case names"
    if not columns:
        return f"no column of {table} was asked for; the analyser passes the table's columns"
    if not all(NAME.fullmatch(column) for column in columns):
        return f"a column of {table} has a name the policy cannot match safely"
    return None


def _refusal(
    per_role: Sequence[Sequence[RoleColumn]],
    roles: tuple[str, ...],
    action: str,
    table: str,
    purpose: str,
    file: str,
) -> str:
    """Why no column is visible: the explicit deny lines, else default deny."""
    explicit = [
        f"{file} line {c.rule.line}: {who(role, c.rule)} is denied {action} on {c.rule.obj} "
        f"for {purpose}"
        for role, cols in zip(roles, per_role, strict=True)
        for c in cols
        if c.explicit and c.rule is not None
    ]
    if explicit:
        return "; ".join(dict.fromkeys(explicit))
    return (
        f"no line of {file} lets {', '.join(roles)} {action} any column of {table} "
        f"for {purpose} (default deny)"
    )


def _denied(table: str, action: str, purpose: str, reason: str) -> TableDecision:
    return TableDecision(table, action, purpose, (), (), True, reason)


def _enforcer(model: Path, policy: PolicyFile) -> Any:
    try:
        enforcer = casbin.Enforcer(str(model), RulesAdapter(policy))
    except Exception as exc:  # casbin raises bare exceptions for a broken model
        raise ConfigError(f"Casbin model {model} cannot be loaded: {exc}") from None
    tokens = tuple(enforcer.model["p"]["p"].tokens)
    if tokens != EXPECTED_TOKENS:
        raise ConfigError(
            f"Casbin model {model}: policy_definition must be "
            f"p = {', '.join(t.removeprefix('p_') for t in EXPECTED_TOKENS)}"
        )
    return enforcer
