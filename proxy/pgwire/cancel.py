"""Cancel keys: each client session gets the proxy's own (pid, key), mapped to its upstream's.

A client that wants to cancel opens a new connection and sends a CancelRequest with the pid and
secret key it received in BackendKeyData. The upstream's pid and key never reach the client
(they would let it cancel, or identify, a backend that is not its own), so at login the session
`register`s its upstream key here and sends the client the key this map made up. The listener
`lookup`s a CancelRequest and, only on a match, forwards the cancel upstream with the upstream
key; the session `unregister`s at its end. Nothing here touches a socket.

Guessing is resisted twice. A key is 32 random bits under protocol 3.0 (32 random bytes under 3.2)
behind a random 31-bit pid, compared in constant time. And failed lookups are rate-limited per
process: once `max_failures` lookups have failed within `window_s` seconds, every lookup answers
None until the window has moved past the oldest of them. The limit is global rather than per
client address because a CancelRequest carries no identity and the address is cheap to change;
its cost is that a flood of bad guesses also holds back genuine cancels for a while, which the
protocol allows (a cancel is best effort and never answered), and it stops the flood from ever
finding a key.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

TargetT = TypeVar("TargetT")

KEY_BYTES_30 = 4  # protocol 3.0: BackendKeyData's key is one int32
KEY_BYTES_32 = 32  # protocol 3.2 allows 4..256 bytes; 32 is what the research recommends
MAX_KEY_BYTES = 256
MAX_PID = 2**31 - 1  # the wire's int32, kept positive as real pids are
DEFAULT_MAX_FAILURES = 100
DEFAULT_WINDOW_S = 10.0


@dataclass(frozen=True, slots=True)
class ClientCancelKey:
    """What the client is told in BackendKeyData, and must send back to cancel."""

    pid: int
    secret_key: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class UpstreamCancelKey(Generic[TargetT]):
    """Where a cancel goes: the upstream server and the backend's own pid and key."""

    target: TargetT
    pid: int
    secret_key: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class _Entry(Generic[TargetT]):
    client_key: bytes = field(repr=False)
    upstream: UpstreamCancelKey[TargetT] | None  # None: the session has no upstream yet
    requested: bool = False  # a cancel came while the upstream was being opened


class CancelMap(Generic[TargetT]):
    """The live sessions' client keys and the upstream keys behind them (one per process)."""

    def __init__(
        self,
        *,
        max_failures: int = DEFAULT_MAX_FAILURES,
        window_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        random_pid: Callable[[], int] | None = None,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        if max_failures < 1 or window_s <= 0:
            raise ValueError("the cancel rate limit needs max_failures >= 1 and window_s > 0")
        self._entries: dict[int, _Entry[TargetT]] = {}
        self._failures: deque[float] = deque(maxlen=max_failures)
        self._window_s = window_s
        self._clock = clock
        self._random_pid = random_pid or (lambda: secrets.randbelow(MAX_PID) + 1)
        self._random_bytes = random_bytes

    def __len__(self) -> int:
        return len(self._entries)

    def register(
        self, upstream: UpstreamCancelKey[TargetT] | None, *, key_bytes: int = KEY_BYTES_30
    ) -> ClientCancelKey:
        """A fresh client key for a session whose upstream key is `upstream` (None until the
        session opens its upstream connection: see `attach`)."""
        if key_bytes != KEY_BYTES_30 and not KEY_BYTES_32 <= key_bytes <= MAX_KEY_BYTES:
            raise ValueError("a cancel key is 4 bytes (protocol 3.0) or 32 to 256 bytes (3.2)")
        pid = self._random_pid()
        while pid in self._entries or not 0 < pid <= MAX_PID:
            pid = self._random_pid()
        key = self._random_bytes(key_bytes)
        self._entries[pid] = _Entry(key, upstream)
        return ClientCancelKey(pid, key)

    def attach(self, client: ClientCancelKey, upstream: UpstreamCancelKey[TargetT]) -> bool:
        """The upstream key behind a session's client key, once its upstream is open; whether
        a cancel arrived meanwhile (the session delivers it once its first statement is sent,
        since a statement sent before its cancel is what the client meant to cancel)."""
        entry = self._entries.get(client.pid)
        if entry is None or not hmac.compare_digest(entry.client_key, client.secret_key):
            return False
        self._entries[client.pid] = _Entry(entry.client_key, upstream)
        return entry.requested

    def unregister(self, client: ClientCancelKey) -> None:
        """Forget a session's key; a pid since handed to another session is left alone."""
        entry = self._entries.get(client.pid)
        if entry is not None and hmac.compare_digest(entry.client_key, client.secret_key):
            del self._entries[client.pid]

    def lookup(self, pid: int, secret_key: bytes) -> UpstreamCancelKey[TargetT] | None:
        """The upstream key behind a CancelRequest, or None (unknown, wrong key, rate-limited)."""
        now = self._clock()
        if self.limited(now):
            return None
        entry = self._entries.get(pid)
        # an unknown pid still costs one comparison, so timing says little about which pids live
        expected = entry.client_key if entry is not None else bytes(len(secret_key))
        if hmac.compare_digest(expected, secret_key) and entry is not None:
            if entry.upstream is None:  # being opened: the session delivers it (`attach`)
                self._entries[pid] = _Entry(entry.client_key, None, requested=True)
            return entry.upstream
        self._failures.append(now)
        return None

    def limited(self, now: float | None = None) -> bool:
        """Whether lookups are refused: the last `max_failures` failures all fall in the window.

        Only the newest `max_failures` failure times are kept, so memory stays bounded under a
        flood; refused lookups are not counted, so the limit lifts once the window has passed.
        """
        failures = self._failures
        now = self._clock() if now is None else now
        return len(failures) == failures.maxlen and failures[0] > now - self._window_s
