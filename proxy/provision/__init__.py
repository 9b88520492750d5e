"""Least-privilege database roles per proxy role, derived from the policy (defence in depth).

Beside the data path, not in it: `palata-proxy provision` computes from the policy and the
catalogue snapshot which columns each proxy role's database role needs (`grants`), creates or
updates those roles (`apply`), and `serve` compares what they hold with what the policy gives
(`check`) before it serves, so a proxy bug cannot read a column the policy withholds. It also
installs the DDL event trigger that tells the proxy when the schema changes (`catalog_trigger`).
"""

from proxy.provision.apply import ApplyReport, RoleChanges, apply_grants
from proxy.provision.catalog_trigger import TriggerReport, install_catalog_trigger
from proxy.provision.check import PrivilegeDiff, compare_privileges, excess_privileges
from proxy.provision.grants import RoleGrants, compute_grants, policy_purposes, role_grants
from proxy.provision.names import DEFAULT_PREFIX, db_role_name

__all__ = [
    "DEFAULT_PREFIX",
    "ApplyReport",
    "PrivilegeDiff",
    "RoleChanges",
    "RoleGrants",
    "TriggerReport",
    "apply_grants",
    "compare_privileges",
    "compute_grants",
    "db_role_name",
    "excess_privileges",
    "install_catalog_trigger",
    "policy_purposes",
    "role_grants",
]
