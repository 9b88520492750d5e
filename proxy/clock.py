"""What time it is, for everything that stamps an audit record's `at`.

The pipeline and both doors take the time a statement arrived from a `Clock` rather than from
`datetime.now`, so a scenario (simulated working days, `tests/watch`) can drive traffic
through the proxy with a clock the test controls. Durations are measured apart, on
`time.perf_counter`, and stay real.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]  # the current time, tz-aware (UTC)


def utc_now() -> datetime:
    """The system's clock: the default everywhere."""
    return datetime.now(UTC)
