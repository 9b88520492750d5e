"""The Casbin policy file (`policy.csv`), parsed and checked line by line before Casbin sees it.

Casbin's own file adapter skips what it does not understand; this parser refuses it instead,
naming the file and line, and keeps each rule's line number so a decision can say which line
made it. Lines:

    p, <role>, <schema.table.column glob>, <select|insert|update|delete|*>, <purpose|*>,
       <allow|deny>, <allow|mask|mask:<operator>|deny>, <priority>
    g, <role>, <role it inherits from>

Checks beyond the shape: the effect and the decision agree (deny with deny); a `*` purpose only
on deny lines (clause 4.4: every grant is bound to a purpose); mask only for select; and every
deny line has a lower priority number than every grant, so deny overrides whatever the order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from proxy.errors import ConfigError
from proxy.policy.files import NAME, read_text
from proxy.policy.masks import MaskOperator, parse_mask

POLICY_FILE = "policy.csv"
ACTIONS = ("select", "insert", "update", "delete")
Verdict = Literal["allow", "mask", "deny"]

# One schema.table.column glob: plain name characters plus `*` and `?` in each of three parts.
_OBJECT_PART = re.compile(r"[a-z0-9_$*?]{1,63}")


@dataclass(frozen=True)
class Rule:
    line: int
    role: str
    obj: str
    action: str
    purpose: str
    verdict: Verdict
    mask: MaskOperator | None  # only with verdict "mask"; None means the catalogue's default
    priority: int

    def casbin(self) -> list[str]:
        effect = "deny" if self.verdict == "deny" else "allow"
        decision = f"mask:{self.mask}" if self.mask else self.verdict
        return [
            self.role,
            self.obj,
            self.action,
            self.purpose,
            effect,
            decision,
            str(self.priority),
        ]


@dataclass(frozen=True)
class Inheritance:
    line: int
    role: str
    parent: str


@dataclass(frozen=True)
class PolicyFile:
    path: Path
    rules: tuple[Rule, ...]
    inheritance: tuple[Inheritance, ...]

    @classmethod
    def load(cls, path: Path) -> PolicyFile:
        rules: list[Rule] = []
        inheritance: list[Inheritance] = []
        for number, raw in enumerate(read_text(path).splitlines(), start=1):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            fields = [field.strip() for field in text.split(",")]
            if fields[0] == "p":
                rules.append(_rule(_Where(path, number), fields[1:]))
            elif fields[0] == "g":
                inheritance.append(_grouping(_Where(path, number), fields[1:]))
            else:
                raise ConfigError(f"{path} line {number}: a line starts with p or g")
        _check_unique(path, rules)
        _check_deny_first(path, rules)
        return cls(path, tuple(rules), tuple(inheritance))


@dataclass(frozen=True)
class _Where:
    path: Path
    line: int

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path} line {self.line}: {message}")


def _rule(where: _Where, fields: list[str]) -> Rule:
    if len(fields) != 7:
        raise where.error(
            "a p line has 7 fields: role, object, action, purpose, effect, decision, priority"
        )
    role, obj, action, purpose, effect, decision, priority = fields
    verdict, mask = _decision(where, decision)
    _check_names(where, role, obj, action, purpose)
    if effect not in ("allow", "deny") or (effect == "deny") != (verdict == "deny"):
        raise where.error(f"effect '{effect}' does not agree with decision '{decision}'")
    if purpose == "*" and verdict != "deny":
        raise where.error("a grant must name its purpose (regulation 4.4); '*' is for deny lines")
    if verdict == "mask" and action != "select":
        raise where.error("mask is a way of reading: a mask line has action select")
    if not priority.isdigit() or not 1 <= int(priority) <= 9999:
        raise where.error(f"priority '{priority}' must be a whole number from 1 to 9999")
    return Rule(where.line, role, obj, action, purpose, verdict, mask, int(priority))


def _decision(where: _Where, text: str) -> tuple[Verdict, MaskOperator | None]:
    if text in ("allow", "mask", "deny"):
        return text, None  # type: ignore[return-value]  # narrowed by the membership test
    if text.startswith("mask:"):
        operator = parse_mask(text.removeprefix("mask:"))
        if operator is not None:
            return "mask", operator
    known = ", ".join(f"mask:{op}" for op in MaskOperator)
    raise where.error(f"decision '{text}' is not allow, mask, deny or one of {known}")


def _check_names(where: _Where, role: str, obj: str, action: str, purpose: str) -> None:
    if not NAME.fullmatch(role):
        raise where.error(f"role '{role}' is not a lower-case name")
    parts = obj.split(".")
    if len(parts) != 3 or not all(_OBJECT_PART.fullmatch(p) and "**" not in p for p in parts):
        raise where.error(f"object '{obj}' is not a schema.table.column glob (with * and ?)")
    if action != "*" and action not in ACTIONS:
        raise where.error(f"action '{action}' is not one of {', '.join(ACTIONS)} or *")
    if purpose != "*" and not NAME.fullmatch(purpose):
        raise where.error(f"purpose '{purpose}' is not a lower-case name")


def _grouping(where: _Where, fields: list[str]) -> Inheritance:
    if len(fields) != 2 or not all(NAME.fullmatch(field) for field in fields):
        raise where.error("a g line is: g, <role>, <role it inherits from>")
    if fields[0] == fields[1]:
        raise where.error(f"role '{fields[0]}' cannot inherit from itself")
    return Inheritance(where.line, fields[0], fields[1])


def _check_unique(path: Path, rules: list[Rule]) -> None:
    seen: dict[tuple[str, ...], int] = {}
    for rule in rules:
        key = tuple(rule.casbin())
        if key in seen:
            raise ConfigError(f"{path} line {rule.line}: repeats line {seen[key]}")
        seen[key] = rule.line


def _check_deny_first(path: Path, rules: list[Rule]) -> None:
    grants = [rule for rule in rules if rule.verdict != "deny"]
    if not grants:
        return
    first_grant = min(grants, key=lambda rule: rule.priority)
    for rule in rules:
        if rule.verdict == "deny" and rule.priority >= first_grant.priority:
            raise ConfigError(
                f"{path} line {rule.line}: deny priority {rule.priority} must be lower than "
                f"every grant's (line {first_grant.line} has {first_grant.priority}), "
                "so that deny overrides"
            )
