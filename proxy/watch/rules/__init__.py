"""The detection rules, one module each; `BUILDERS` names them for `detection.toml`."""

from __future__ import annotations

from proxy.watch.config import RuleBuilder

BUILDERS: dict[str, RuleBuilder] = {}
