"""What each proxy role's database role may do: least privileges computed from the policy.

The first step of `palata-proxy provision` and the reference `serve` checks grants against. Pure:
takes the policy engine and the catalogue snapshot, returns values. A proxy role's database role
may SELECT exactly the columns that some purpose of the role lets it see in clear or through a
mask computed from the real value (partial_last4, year_only, redact), plus the columns its row
filters read; `null` masks and denied columns are never read by the rewrite, so they are never
granted. INSERT and UPDATE are granted per column and DELETE per table where the policy lets that
action through. A role's purposes are those of its own grant lines and of every role it inherits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from proxy.policy import MaskOperator, PolicyEngine, TableDecision
from proxy.provision.filters import filter_columns
from proxy.provision.names import DEFAULT_PREFIX, db_role_name
from proxy.sql import CatalogSnapshot

# Schemas of the system and of the proxy itself: never granted to a proxy role.
EXCLUDED_SCHEMAS = frozenset({"pg_catalog", "information_schema", "palata_meta", "palata_audit"})
READING_MASKS = frozenset(
    {MaskOperator.PARTIAL_LAST4, MaskOperator.YEAR_ONLY}
    | {operator for operator in MaskOperator if operator.applied_by_proxy}
)

TableColumns = Mapping[str, frozenset[str]]


def _frozen(found: Mapping[str, set[str]]) -> TableColumns:
    return MappingProxyType({t: frozenset(cols) for t, cols in sorted(found.items()) if cols})


@dataclass(frozen=True)
class RoleGrants:
    """The privileges one database role needs; tables are `schema.table` keys."""

    role: str  # the proxy role (several joined by '+' for a role set)
    db_role_name: str
    select: TableColumns = field(default_factory=lambda: _frozen({}))
    insert: TableColumns = field(default_factory=lambda: _frozen({}))
    update: TableColumns = field(default_factory=lambda: _frozen({}))
    delete: frozenset[str] = frozenset()

    @property
    def tables(self) -> frozenset[str]:
        return frozenset({*self.select, *self.insert, *self.update, *self.delete})

    @property
    def empty(self) -> bool:
        return not self.tables


def policy_purposes(engine: PolicyEngine) -> Mapping[str, frozenset[str]]:
    """Every role the policy names (p or g lines), with the purposes it or its ancestors hold."""
    own: dict[str, set[str]] = {}
    parents: dict[str, set[str]] = {}
    for rule in engine.policy.rules:
        own.setdefault(rule.role, set())
        if rule.verdict != "deny" and rule.purpose != "*":
            own[rule.role].add(rule.purpose)
    for link in engine.policy.inheritance:
        own.setdefault(link.role, set())
        own.setdefault(link.parent, set())
        parents.setdefault(link.role, set()).add(link.parent)
    return MappingProxyType(
        {role: frozenset(_inherited(role, own, parents)) for role in sorted(own)}
    )


def _inherited(role: str, own: Mapping[str, set[str]], parents: Mapping[str, set[str]]) -> set[str]:
    seen, todo, purposes = {role}, [role], set()
    while todo:
        current = todo.pop()
        purposes |= own.get(current, set())
        for parent in parents.get(current, set()) - seen:
            seen.add(parent)
            todo.append(parent)
    return purposes


def compute_grants(
    engine: PolicyEngine,
    snapshot: CatalogSnapshot,
    prefix: str = DEFAULT_PREFIX,
    role_sets: Iterable[Sequence[str]] = (),
) -> tuple[RoleGrants, ...]:
    """RoleGrants for every role the policy names, in name order, then for each role set of
    several roles (a principal holding them all is decided on them together, which is neither
    any one role's grants nor their union), with the purposes of all its roles."""
    purposes = policy_purposes(engine)
    single = [role_grants(engine, snapshot, (r,), p, prefix) for r, p in purposes.items()]
    sets = sorted({tuple(sorted(set(roles))) for roles in role_sets if len(set(roles)) > 1})
    return (
        *single,
        *(role_grants(engine, snapshot, roles, _union(purposes, roles), prefix) for roles in sets),
    )


def _union(purposes: Mapping[str, frozenset[str]], roles: Sequence[str]) -> frozenset[str]:
    return frozenset().union(*(purposes.get(role, frozenset()) for role in roles))


def role_grants(
    engine: PolicyEngine,
    snapshot: CatalogSnapshot,
    roles: Sequence[str],
    purposes: Iterable[str],
    prefix: str = DEFAULT_PREFIX,
) -> RoleGrants:
    """The grants a principal with exactly `roles` needs (decided together, as the engine
    combines them) for any of `purposes`."""
    found: dict[str, dict[str, set[str]]] = {a: {} for a in ("select", "insert", "update")}
    deletes: set[str] = set()
    for table, columns in user_tables(snapshot):
        for purpose in sorted(set(purposes)):
            for action in ("select", "insert", "update", "delete"):
                decision = engine.decide(tuple(roles), purpose, action, table, columns)
                if decision.denied:
                    continue
                _add_filters(found["select"], decision, snapshot)
                if action == "delete":
                    deletes.add(table)
                else:
                    found[action].setdefault(table, set()).update(_needed(decision))
    return RoleGrants(
        role="+".join(roles),
        db_role_name=db_role_name(tuple(roles), prefix),
        select=_frozen(found["select"]),
        insert=_frozen(found["insert"]),
        update=_frozen(found["update"]),
        delete=frozenset(deletes),
    )


def user_tables(snapshot: CatalogSnapshot) -> list[tuple[str, tuple[str, ...]]]:
    """(`schema.table`, its columns) for plain and partitioned tables outside excluded schemas."""
    return [
        (f"{schema}.{name}", tuple(c.name for c in relation.columns))
        for (schema, name), relation in sorted(snapshot.relations.items())
        if relation.relkind in ("r", "p") and schema not in EXCLUDED_SCHEMAS and relation.columns
    ]


def _needed(decision: TableDecision) -> set[str]:
    """Columns the rewrite reads from the table: clear ones and masks computed from the value."""
    return {
        c.column
        for c in decision.columns
        if c.decision == "allow" or (c.decision == "mask" and c.mask in READING_MASKS)
    }


def _add_filters(
    select: dict[str, set[str]], decision: TableDecision, snapshot: CatalogSnapshot
) -> None:
    for row_filter in decision.row_filters:
        for table, columns in filter_columns(row_filter, snapshot).items():
            select.setdefault(table, set()).update(columns)
