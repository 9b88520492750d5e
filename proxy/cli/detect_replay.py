"""`palata-proxy detect replay --from T1 --to T2`: the unlawful-access rules over stored audit
history, to see what would have fired before a threshold is enabled or changed.

It loads the rules (`detection.rules`, or `--rules FILE` to try another file), runs each over
the audit records with `at` in (T1, T2] in one transaction that is rolled back (a rule that
records what it learned, as novelty does, leaves nothing), keeps one finding per dedup key as
the detector would, and prints them as a table with a count per rule, or as JSON lines with
`--json`. Nothing is stored: no alert, no suspension, no webhook. The run itself is audited
(kind `detect_replay`, door `cli`, on the shell's own chain) before anything is printed, since
it reads the trail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from proxy.audit.export import without_controls
from proxy.audit.search import InvalidSearch, Searcher, parse_moment, search_record
from proxy.audit.startup import open_audit
from proxy.cli.audit_search import cli_instance, os_user
from proxy.cli.common import setup_logging
from proxy.config import Settings, load_settings
from proxy.errors import ConfigError, ProxyError
from proxy.upstream.pool import single_connection
from proxy.watch import rules as registry
from proxy.watch.config import load_detection
from proxy.watch.evaluate import replay
from proxy.watch.model import Finding, Rule, TimeRange

SHOWN_RECORD_IDS = 3


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = actions.add_parser(
        "replay", help="run the unlawful-access rules over stored audit history (a dry run)"
    )
    replay.add_argument("--config", type=Path, help="the TOML settings file")
    replay.add_argument(
        "--upstream", metavar="DSN", help="PostgreSQL URI (upstream.dsn; audit.dsn wins if set)"
    )
    replay.add_argument(
        "--from", dest="since", required=True, metavar="T1", help="ISO 8601, exclusive"
    )
    replay.add_argument("--to", dest="until", required=True, metavar="T2", help="ISO 8601")
    replay.add_argument(
        "--rules", type=Path, metavar="FILE", help="a detection.toml to try (default: configured)"
    )
    replay.add_argument(
        "--rule", action="append", metavar="NAME", help="only this rule (repeatable)"
    )
    replay.add_argument("--json", action="store_true", help="one JSON line per finding")
    replay.set_defaults(run=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    if args.jsonl is not None or args.evaluate is not None:
        args.detect_parser.error("replay takes neither --jsonl nor --evaluate")
    settings = load_settings(args.config, os.environ, {"upstream.dsn": args.upstream})
    setup_logging(settings)
    span = _span(args.since, args.until)
    rules = chosen_rules(settings, args.rules, args.rule)
    findings = asyncio.run(_audited_replay(settings, rules, span))
    if args.json:
        sys.stdout.writelines(
            json.dumps(finding_json(f), ensure_ascii=False) + "\n" for f in findings
        )
    else:
        sys.stdout.write(format_findings(findings, [rule.name for rule in rules]))
    return 0


def _span(since: str, until: str) -> TimeRange:
    span = TimeRange(parse_moment(since, "--from"), parse_moment(until, "--to"))
    if span.end <= span.start:
        raise InvalidSearch("--to must be later than --from")
    return span


def chosen_rules(settings: Settings, path: Path | None, names: Sequence[str] | None) -> list[Rule]:
    """The enabled rules of the detection file, or only those named (each must exist)."""
    policy = load_detection(path or settings.detection_rules, registry.BUILDERS)
    rules = list(policy.rules)
    if not names:
        return rules
    known = {rule.name for rule in rules}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ConfigError(
            f"no enabled rule {', '.join(unknown)} (enabled: {', '.join(sorted(known)) or 'none'})"
        )
    return [rule for rule in rules if rule.name in names]


async def _audited_replay(settings: Settings, rules: list[Rule], span: TimeRange) -> list[Finding]:
    criteria = {
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "rules": [rule.name for rule in rules],
    }
    searcher = Searcher("cli", f"cli:{os_user()}")
    instance = cli_instance(settings)
    async with open_audit(settings, instance) as sink:
        started = datetime.now(UTC)
        try:
            async with single_connection(settings.audit.dsn or settings.upstream_dsn) as conn:
                findings = await replay(conn, rules, span)
        except ProxyError as exc:
            await sink.write(
                search_record(
                    searcher, instance, criteria, started, kind="detect_replay", error=exc
                )
            )
            raise
        rows = len(findings)
        await sink.write(
            search_record(searcher, instance, criteria, started, kind="detect_replay", rows=rows)
        )
    return findings


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "window_start": finding.window_start.isoformat(),
        "window_end": finding.window_end.isoformat(),
        "bucket": finding.bucket.isoformat(),
        "rule": finding.rule,
        "severity": finding.severity,
        "action": finding.action,
        "actor": finding.actor,
        "measure": dict(finding.measure),
        "record_ids": list(finding.record_ids),
        "summary": finding.summary,
    }


def format_findings(findings: Sequence[Finding], rule_names: Sequence[str]) -> str:
    """The findings as a table, then how many per rule (every rule run, even with none)."""
    header = ("window end (UTC)", "rule", "severity", "actor", "summary", "records")
    lines = [header, *(_row(finding) for finding in findings)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    table = "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )
    counts = Counter(finding.rule for finding in findings)
    width = max((len(name) for name in rule_names), default=0)
    summary = "".join(f"{name.ljust(width)}  {counts[name]}\n" for name in rule_names)
    return f"{table}\nfindings per rule:\n{summary}" if rule_names else table


def _row(finding: Finding) -> tuple[str, ...]:
    ids = list(finding.record_ids[:SHOWN_RECORD_IDS])
    if len(finding.record_ids) > SHOWN_RECORD_IDS:
        ids.append(f"+{len(finding.record_ids) - SHOWN_RECORD_IDS}")
    cells = (
        finding.window_end.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        finding.rule,
        finding.severity,
        finding.actor,
        finding.summary,
        ",".join(ids),
    )
    return tuple(without_controls(cell) for cell in cells)  # no terminal escapes from the trail
