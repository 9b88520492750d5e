"""Hands the checked policy lines to Casbin, so Casbin never reads policy.csv on its own.

Casbin's file adapter skips lines it cannot read; `proxy.policy.rules` refuses them instead and
keeps line numbers. This adapter gives Casbin exactly the rules that passed those checks.
"""

from __future__ import annotations

from typing import Any

from casbin import persist

from proxy.policy.rules import PolicyFile

# The policy_definition the rules are written for (models.conf).
EXPECTED_TOKENS = (
    "p_sub",
    "p_obj",
    "p_act",
    "p_purpose",
    "p_eft",
    "p_decision",
    "p_priority",
)


class RulesAdapter(persist.Adapter):  # type: ignore[misc]  # casbin is untyped
    def __init__(self, policy: PolicyFile) -> None:
        self.policy = policy

    def load_policy(self, model: Any) -> None:
        for rule in self.policy.rules:
            model.model["p"]["p"].policy.append(rule.casbin())
        for link in self.policy.inheritance:
            model.model["g"]["g"].policy.append([link.role, link.parent])
