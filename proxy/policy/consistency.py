"""Checks across the policy files, run once when an engine is built.

Each file is valid on its own by the time these run; here the files must agree: a mask operator
a policy line names must fit every catalogued column the line's glob reaches, and a row filter
must belong to a role that policy.csv mentions (a misspelt role would silently filter nothing).
"""

from __future__ import annotations

from casbin.util.builtin_operators import glob_match

from proxy.errors import ConfigError
from proxy.policy.catalogue import Catalogue
from proxy.policy.masks import mask_fits
from proxy.policy.row_filters import RowFilters
from proxy.policy.rules import PolicyFile


def check_consistency(policy: PolicyFile, catalogue: Catalogue, row_filters: RowFilters) -> None:
    _check_operators(policy, catalogue)
    _check_filter_roles(policy, row_filters)


def _check_operators(policy: PolicyFile, catalogue: Catalogue) -> None:
    for rule in policy.rules:
        if rule.mask is None:
            continue
        for table, entry in catalogue.tables.items():
            for column in entry.columns.values():
                obj = f"{table}.{column.name}"
                if glob_match(obj, rule.obj) and not mask_fits(rule.mask, column.kind):
                    raise ConfigError(
                        f"{policy.path} line {rule.line}: mask:{rule.mask} cannot mask {obj}, "
                        f"which the catalogue says holds {column.kind}"
                    )


def _check_filter_roles(policy: PolicyFile, row_filters: RowFilters) -> None:
    roles = {rule.role for rule in policy.rules}
    roles |= {link.role for link in policy.inheritance}
    for role, table in row_filters.filters:
        if role not in roles:
            raise ConfigError(
                f"row_filters.toml: {role}.{table}: role '{role}' has no line in {policy.path.name}"
            )
