"""The detector: the rules run over the audit records that arrived since their last run, the
findings kept as alerts, and the suspensions some of them order (asyncpg I/O through `store`
and `evaluate`; `running` calls `tick` on a schedule).

A tick is one transaction on the shared audit store. `pg_try_advisory_xact_lock` lets one
proxy instance evaluate at a time; the others skip that tick, so several instances writing
one store are watched once. Each rule keeps a watermark (`detector_state.evaluated_to`) and
evaluates the records in `(watermark, now - settle]` — `settle` gives records written through
a sink's batch time to land — then moves it in the same transaction as the alerts it stored:
a restart neither re-alerts (the watermark and the alerts' dedup keys say what was seen) nor
skips (the next range starts where the last ended). A record reaches the store when its
statement ends, or later (the spool replayed after an outage), so a second watermark follows
the store's own `stored_at` (up to its clock less `settle`, and never past the start of a
writing transaction still open): records stored since the last run whose `at` had been
evaluated already are evaluated again from the earliest of them (the alerts' dedup keys keep
what had fired from firing twice). Every range is cut into steps of at most `max_span` (or
the rule's `every`, if longer), so one query never reads days of records; a rule behind
catches up a step a run. A rule's first run starts at `now - settle` and looks at nothing
older: the detector does not alert on history when it is first enabled (`detect replay` is
the way to look back).

A rule whose query fails (or runs past the tick's statement timeout, or whose suspension
fails) rolls back to its savepoint and keeps its watermark, so it retries on the next tick
while the other rules go on; a connection lost fails the whole tick. Suspensions are made
inside the transaction, with their alert; outputs (metrics, webhooks) hear of new alerts only
after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from proxy.errors import error_kind
from proxy.watch.evaluate import evaluate
from proxy.watch.model import Alert, AlertOutputs, Finding, Rule, TimeRange
from proxy.watch.schema import WATCH_LOCK_KEY
from proxy.watch.store import (
    Delivery,
    advance,
    evaluated_to,
    first_late,
    store_cutoff,
    store_findings,
    stored_to,
)
from proxy.watch.suspensions import last_lift

log = logging.getLogger(__name__)

# each statement of a tick; a rule's query past it fails as any failing query does
STATEMENT_TIMEOUT = timedelta(seconds=60)
LATE_MARGIN = timedelta(microseconds=1)  # spans are (start, end]: a late record's `at` is in
MAX_SPAN = timedelta(minutes=15)  # the most one run of a rule looks at: a rule behind catches up
OnSuspend = Callable[[Any, Finding, Alert], Awaitable[None]]  # (conn, finding, its new alert)


class Detector:
    """The rules, run over new audit records one tick at a time."""

    def __init__(
        self,
        rules: Sequence[Rule],
        instance: str,
        clock: Callable[[], datetime],
        settle: timedelta,
        outputs: AlertOutputs | None = None,
        on_suspend: OnSuspend | None = None,
        delivery: Delivery = "none",
        statement_timeout: timedelta = STATEMENT_TIMEOUT,
        max_span: timedelta = MAX_SPAN,
        on_rule_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self._instance = instance
        self._clock = clock
        self._settle = settle
        self._outputs = outputs
        self._on_suspend = on_suspend
        # 'pending' when a webhook will post new alerts (the outbox), else 'none'
        self._delivery = delivery
        self._statement_timeout_ms = str(int(statement_timeout.total_seconds() * 1000))
        self._max_span = max_span
        self._on_rule_failure = on_rule_failure

    async def tick(self, conn: Any) -> list[Alert]:
        """Evaluate every rule up to `now - settle` and store what they found; the alerts
        that are new. [] when another instance holds the watch lock."""
        now = self._clock()
        async with conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", WATCH_LOCK_KEY):
                return []
            # a rule's query that hangs must not hold the lock (and the other instances) forever
            await conn.execute(
                "SELECT set_config('statement_timeout', $1, true)", self._statement_timeout_ms
            )
            cutoff = await store_cutoff(conn, self._settle)  # one per tick: the store's now()
            raised: list[Alert] = []
            for rule in self.rules:
                raised += await self._run_rule(conn, rule, now, cutoff)
        self._announce(raised)
        return raised

    async def _run_rule(
        self, conn: Any, rule: Rule, now: datetime, cutoff: datetime
    ) -> list[Alert]:
        evaluated = await evaluated_to(conn, rule.name)
        if evaluated is None:  # first run: from here on, no alerts on history
            await advance(conn, rule.name, now - self._settle, self._instance, now, cutoff)
            return []
        try:
            async with conn.transaction():  # a savepoint: a failing rule leaves no trace
                spans, to = await self._spans(conn, rule, evaluated, now - self._settle, cutoff)
                alerts = [a for span in spans for a in await self._evaluate(conn, rule, span, now)]
                # nothing late and nothing due moves the watermark on stored_at alone: what was
                # stored meanwhile is not late, and is not looked through again
                await advance(conn, rule.name, to, self._instance, now, cutoff)
                return alerts
        except Exception as exc:
            if conn.is_closed():  # the store is gone: the whole tick fails
                raise
            log.error(
                "detection rule %s failed, it sees nothing until a run succeeds; retried next "
                "tick (%s)",
                rule.name,
                error_kind(exc),
            )
            if self._on_rule_failure is not None:
                self._on_rule_failure(rule.name)
            return []

    async def _spans(
        self, conn: Any, rule: Rule, evaluated: datetime, due: datetime, cutoff: datetime
    ) -> tuple[list[TimeRange], datetime]:
        """What this run evaluates, at most `step` at a time: the records that arrived late
        (stored since the last run, `at` already evaluated) from the earliest of them, then the
        new range when it is due (`every`); and where the watermark on `at` goes."""
        step = max(self._max_span, rule.every)
        looked = await stored_to(conn, rule.name)
        late = None if looked is None else await first_late(conn, looked, cutoff, evaluated)
        spans = [] if late is None else _steps(late - LATE_MARGIN, evaluated, step)
        end = min(due, evaluated + step)  # a rule behind catches up a step a run
        if end > evaluated and (end - evaluated >= rule.every or end == evaluated + step):
            return [*spans, TimeRange(evaluated, end)], end
        return spans, evaluated  # not due: its range grows meanwhile

    async def _evaluate(self, conn: Any, rule: Rule, span: TimeRange, now: datetime) -> list[Alert]:
        findings = await _not_judged_yet(conn, await evaluate(conn, [rule], span))
        alerts = await store_findings(conn, findings, self._instance, now, self._delivery)
        if self._on_suspend is not None:
            for alert in alerts:
                if alert.finding.action == "suspend":
                    await self._on_suspend(conn, alert.finding, alert)
        return alerts

    def _announce(self, alerts: Sequence[Alert]) -> None:
        if not alerts or self._outputs is None:
            return
        try:
            self._outputs.raised(alerts)
        except Exception as exc:  # the alerts are stored; the webhook outbox still has them
            log.warning("alert outputs failed for %d new alerts (%s)", len(alerts), error_kind(exc))


def _steps(start: datetime, stop: datetime, step: timedelta) -> list[TimeRange]:
    """(start, stop] cut into ranges of at most `step`."""
    spans = []
    while start < stop:
        spans.append(TimeRange(start, min(stop, start + step)))
        start = spans[-1].end
    return spans


async def _not_judged_yet(conn: Any, findings: Sequence[Finding]) -> list[Finding]:
    """The findings still to act on. A suspending finding whose window begins before its
    actor's last lift is about reads a security officer has judged: dropped. After a lift a new
    period begins at the lift, so reads after it alert (and suspend) again, even within the
    cooldown period of the alert that was lifted."""
    kept: list[Finding] = []
    for finding in findings:
        lifted = await last_lift(conn, finding.actor) if finding.action == "suspend" else None
        if lifted is None:
            kept.append(finding)
        elif finding.window_start >= lifted:
            kept.append(replace(finding, bucket=max(finding.bucket, lifted)))
    return kept
