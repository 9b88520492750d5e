"""The generator's one error type: the dataset cannot be built or read as asked.

Messages name tables, counts and SQLSTATEs only, never row values: database error details
(which can quote a row) are deliberately not carried over.
"""

from __future__ import annotations

from proxy.errors import ProxyError


class DatasetError(ProxyError):
    """Building or reading the synthetic Palata dataset failed; the message says why."""

    sqlstate = "55000"  # object_not_in_prerequisite_state
