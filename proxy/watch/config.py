"""`detection.toml`: the detection rules, reviewed with the rest of the policy (pure).

The file names a time zone and a working calendar, then one table per rule under `[rules.*]`.
Every rule has a severity, an action (`alert`, or `suspend` the principal as well), a cooldown
(one alert per rule, actor and cooldown period) and a `rationale` — why the rule exists and why
its thresholds are what they are — which may not be empty. Unknown keys are refused, so a typo
fails at start. Each rule's own settings are a model of its module (`proxy.watch.rules`), built
into a `Rule` by that module's `build`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from proxy.errors import ConfigError
from proxy.watch.model import Action, Rule, Severity

DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """`"30s"`, `"1m"`, `"2h"`, `"28d"` as a timedelta; ValueError otherwise."""
    matched = DURATION.match(text)
    if matched is None or int(matched[1]) == 0:
        raise ValueError(f"{text!r} is not a duration such as 30s, 1m, 2h or 28d")
    return timedelta(**{UNITS[matched[2]]: int(matched[1])})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Calendar(_Strict):
    """Working time in the Chamber's time zone: ISO weekdays (1 = Monday), hours, public
    holidays, and the transferred working days that fall on a weekend."""

    workdays: tuple[int, ...] = (1, 2, 3, 4, 5)
    hours: tuple[time, time] = (time(9, 0), time(19, 0))
    holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()

    @field_validator("workdays")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not all(1 <= day <= 7 for day in value):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        return value

    def is_working_time(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone)
        day = local.date()
        if day in self.holidays:
            return False
        if local.isoweekday() not in self.workdays and day not in self.extra_workdays:
            return False
        return self.hours[0] <= local.time() < self.hours[1]


class RuleSettings(_Strict):
    """What every rule has; a rule's module subclasses it with its own thresholds."""

    enabled: bool = True
    severity: Severity = "medium"
    action: Action = "alert"
    cooldown: timedelta = timedelta(hours=1)
    every: timedelta = timedelta(0)  # run at most this often (0: every tick of the detector)
    rationale: str = Field(min_length=20)

    @field_validator("cooldown", "every", "window", "lookback", mode="before", check_fields=False)
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class RuleContext:
    """What a rule's build may need beyond its own table."""

    zone: ZoneInfo
    calendar: Calendar


RuleBuilder = Callable[[str, Mapping[str, Any], RuleContext], Rule]


@dataclass(frozen=True)
class DetectionPolicy:
    zone: ZoneInfo
    calendar: Calendar
    rules: tuple[Rule, ...]  # the enabled ones
    raw: Mapping[str, Any]  # the whole file, for the parts read elsewhere (watch lists)


def load_detection(path: Path, builders: Mapping[str, RuleBuilder]) -> DetectionPolicy:
    """The rules of `path`, each built by `builders[name]`; ConfigError naming the file and
    the rule for anything missing, unknown or malformed."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the detection rules: {exc}") from None
    zone = _zone(raw.get("timezone", "Asia/Almaty"), path)
    try:
        calendar = Calendar.model_validate(raw.get("calendar", {}))
    except ValidationError as exc:
        raise ConfigError(f"{path} [calendar]: {_first_error(exc)}") from None
    unknown = set(raw) - {"version", "timezone", "calendar", "rules", "watch_lists", "assignments"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level keys {sorted(unknown)}")
    context = RuleContext(zone, calendar)
    rules = [_rule(name, table, builders, context, path) for name, table in _rules(raw, path)]
    return DetectionPolicy(zone, calendar, tuple(r for r in rules if r is not None), raw)


def _rules(raw: Mapping[str, Any], path: Path) -> list[tuple[str, Mapping[str, Any]]]:
    tables = raw.get("rules", {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise ConfigError(f"{path}: [rules.<name>] tables expected")
    return list(tables.items())


def _rule(
    name: str,
    table: Mapping[str, Any],
    builders: Mapping[str, RuleBuilder],
    context: RuleContext,
    path: Path,
) -> Rule | None:
    kind = table.get("kind", name)  # a rule may be used twice under two names with `kind`
    builder = builders.get(kind)
    if builder is None:
        known = ", ".join(sorted(builders))
        raise ConfigError(f"{path} [rules.{name}]: unknown rule {kind!r} (known: {known})")
    if table.get("enabled", True) is False:
        return None
    own = {key: value for key, value in table.items() if key != "kind"}
    try:
        return builder(name, own, context)
    except ValidationError as exc:
        raise ConfigError(f"{path} [rules.{name}]: {_first_error(exc)}") from None
    except ValueError as exc:
        raise ConfigError(f"{path} [rules.{name}]: {exc}") from None


def _zone(name: Any, path: Path) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{path}: unknown time zone {name!r}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
