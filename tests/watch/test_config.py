"""Loading `detection.toml` with the volume and time rules: a good file builds its enabled rules,
anything missing, unknown or malformed is a ConfigError naming the file and the rule; the
product file and the red-team fixture's file load and say what the issue asks."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from proxy.errors import ConfigError
from proxy.watch.config import RuleBuilder, load_detection
from proxy.watch.rules import BUILDERS as REGISTERED
from proxy.watch.rules import (
    breadth,
    bulk_read,
    bulk_read_baseline,
    catalogue_gap,
    off_hours,
    probing,
)

ROOT = Path(__file__).resolve().parents[2]
BUILDERS: dict[str, RuleBuilder] = {
    "bulk_read": bulk_read.build,
    "bulk_read_baseline": bulk_read_baseline.build,
    "probing": probing.build,
    "off_hours": off_hours.build,
    "breadth": breadth.build,
    "catalogue_gap": catalogue_gap.build,
}
CONTEXT_RULES = ("novelty", "watch_list", "outside_assignment", "outside_category")
ALL_RULES = BUILDERS | {kind: REGISTERED[kind] for kind in CONTEXT_RULES}

GOOD = """
timezone = "Asia/Almaty"
[calendar]
hours = ["09:00", "18:00"]
holidays = ["2026-12-16"]
[rules.bulk_read]
severity = "high"
action = "suspend"
roles = ["collector"]
window = "1m"
distinct_subjects = 50
rationale = "fifty debtors a minute is an export, not casework"
[rules.night_reads]
kind = "off_hours"
roles = ["collector"]
rationale = "reads at night are unusual for collectors"
[rules.probing]
enabled = false
denied = 20
rationale = "a burst of refusals is someone trying bypasses"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "detection.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_builds_its_enabled_rules(tmp_path: Path) -> None:
    policy = load_detection(write(tmp_path, GOOD), BUILDERS)
    assert [rule.name for rule in policy.rules] == ["bulk_read", "night_reads"]
    assert policy.zone.key == "Asia/Almaty"
    assert policy.calendar.hours == (time(9), time(18))
    assert policy.calendar.holidays == (date(2026, 12, 16),)
    bulk, night = policy.rules
    assert isinstance(bulk, bulk_read.BulkRead) and isinstance(night, off_hours.OffHours)
    assert bulk.settings.window == timedelta(minutes=1)
    assert (bulk.settings.severity, bulk.settings.action) == ("high", "suspend")
    assert "TIME '18:00:00'" in night.sql and "DATE '2026-12-16'" in night.sql


PROBE = '[rules.probing]\ndenied = 20\nrationale = "a burst of refusals is probing"\n'
BROKEN = [
    (
        "missing rationale",
        "[rules.probing]\ndenied = 20\n",
        "[rules.probing]: rationale: Field required",
    ),
    (
        "a rationale too short to say anything",
        '[rules.probing]\ndenied = 20\nrationale = "because"\n',
        "[rules.probing]: rationale",
    ),
    (
        "unknown key",
        '[rules.probing]\ndenied = 20\ndenials = 3\nrationale = "a burst of refusals is probing"\n',
        "[rules.probing]: denials: Extra inputs are not permitted",
    ),
    (
        "unknown rule kind",
        '[rules.bulk_reads]\nrationale = "fifty debtors a minute is an export"\n',
        "[rules.bulk_reads]: unknown rule 'bulk_reads'",
    ),
    (
        "unknown kind of a disabled rule",
        '[rules.x]\nkind = "nope"\nenabled = false\n',
        "[rules.x]: unknown rule 'nope'",
    ),
    (
        "bad duration",
        PROBE + 'window = "1 minute"\n',
        "[rules.probing]: window: Value error, '1 minute' is not a duration",
    ),
    (
        "zero duration",
        PROBE + 'window = "0s"\n',
        "is not a duration",
    ),
    (
        "no roles",
        "[rules.bulk_read]\nroles = []\ndistinct_subjects = 5\n"
        'rationale = "fifty debtors a minute"\n',
        "[rules.bulk_read]: roles",
    ),
    (
        "unknown severity",
        PROBE + 'severity = "urgent"\n',
        "[rules.probing]: severity",
    ),
    (
        "bad period",
        '[rules.breadth]\nroles = ["collector"]\nperiod = "1 week"\n'
        'rationale = "five times the peers is beyond casework"\n',
        "[rules.breadth]: period: Value error, '1 week' is not a duration",
    ),
    ("unknown time zone", 'timezone = "Asia/Almata"\n', "unknown time zone 'Asia/Almata'"),
    ("bad weekday", "[calendar]\nworkdays = [1, 8]\n", "[calendar]: workdays"),
]


@pytest.mark.parametrize(("text", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_detection(path, BUILDERS)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)
    assert raised.value.sqlstate == "F0000"


def test_a_disabled_rule_is_neither_validated_nor_built(tmp_path: Path) -> None:
    text = '[rules.probing]\nenabled = false\ndenied = "many"\n'
    assert load_detection(write(tmp_path, text), BUILDERS).rules == ()


def test_the_product_file_loads_with_a_rationale_for_every_rule() -> None:
    policy = load_detection(ROOT / "policies" / "detection.toml", ALL_RULES)
    assert {rule.name for rule in policy.rules} == set(ALL_RULES)
    tables = policy.raw["rules"]
    assert set(tables) == set(ALL_RULES)
    assert all(len(table["rationale"]) >= 80 for table in tables.values())
    assert policy.zone.key == "Asia/Almaty"
    holidays = policy.calendar.holidays
    assert {date(2026, 1, 1), date(2026, 3, 23), date(2026, 12, 16)} <= set(holidays)
    assert all(day.year == 2026 and day.isoweekday() <= 5 for day in holidays)


def test_the_redteam_file_has_the_issues_two_thresholds() -> None:
    policy = load_detection(ROOT / "tests" / "redteam" / "policies" / "detection.toml", BUILDERS)
    rules = {rule.name: rule for rule in policy.rules}
    assert set(rules) == {"bulk_read", "probing"}
    bulk, probe = rules["bulk_read"], rules["probing"]
    assert isinstance(bulk, bulk_read.BulkRead) and isinstance(probe, probing.Probing)
    assert bulk.settings.roles == ("collector",)
    assert (bulk.settings.window, bulk.settings.distinct_subjects) == (timedelta(minutes=1), 50)
    assert bulk.settings.action == "alert"
    assert (probe.settings.window, probe.settings.denied) == (timedelta(minutes=1), 20)
