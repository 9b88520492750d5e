"""The detection rules, one module each; `BUILDERS` names them for `detection.toml` (a rule
table's `kind`, or its name)."""

from __future__ import annotations

from proxy.watch.config import RuleBuilder
from proxy.watch.rules import (
    assignment,
    breadth,
    bulk_read,
    bulk_read_baseline,
    catalogue_gap,
    novelty,
    off_hours,
    probing,
    watch_list,
)

BUILDERS: dict[str, RuleBuilder] = {
    "bulk_read": bulk_read.build,
    "bulk_read_baseline": bulk_read_baseline.build,
    "breadth": breadth.build,
    "probing": probing.build,
    "off_hours": off_hours.build,
    "novelty": novelty.build,
    "watch_list": watch_list.build,
    "catalogue_gap": catalogue_gap.build,
    **assignment.BUILDERS,
}
