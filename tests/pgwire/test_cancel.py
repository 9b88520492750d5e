"""The cancel-key map: the client's own keys map to the upstream's, and guessing is throttled."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from proxy.pgwire.cancel import MAX_PID, CancelMap, ClientCancelKey, UpstreamCancelKey

UPSTREAM = UpstreamCancelKey("db:5432", 4242, b"\x00\x00\x10\x92")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting_bytes() -> Callable[[int], bytes]:
    """Distinct, predictable keys: the first call gives 01 01.., the next 02 02.."""
    counter = iter(range(1, 256))
    return lambda size: bytes([next(counter)]) * size


def pids(*values: int) -> Callable[[], int]:
    source: Iterator[int] = iter(values)
    return lambda: next(source)


def make_map(**kwargs: object) -> CancelMap[str]:
    kwargs.setdefault("random_bytes", counting_bytes())
    return CancelMap(**kwargs)  # type: ignore[arg-type]


def _same(client: ClientCancelKey) -> tuple[int, bytes]:
    return client.pid, client.secret_key


def _wrong_key(client: ClientCancelKey) -> tuple[int, bytes]:
    return client.pid, bytes(b ^ 1 for b in client.secret_key)


def _unknown_pid(client: ClientCancelKey) -> tuple[int, bytes]:
    return client.pid + 1, client.secret_key


def _short_key(client: ClientCancelKey) -> tuple[int, bytes]:
    return client.pid, client.secret_key[:3]


def _long_key(client: ClientCancelKey) -> tuple[int, bytes]:
    return client.pid, client.secret_key + b"\x00"


def _upstream_pair(client: ClientCancelKey) -> tuple[int, bytes]:
    return UPSTREAM.pid, UPSTREAM.secret_key


@pytest.mark.parametrize(
    ("request_for", "found"),
    [
        (_same, True),
        (_wrong_key, False),
        (_unknown_pid, False),
        (_short_key, False),
        (_long_key, False),
        (_upstream_pair, False),
    ],
    ids=["own-key", "wrong-key", "unknown-pid", "short-key", "long-key", "upstream-key"],
)
def test_lookup(request_for: Callable[[ClientCancelKey], tuple[int, bytes]], found: bool) -> None:
    cancels = make_map(random_pid=pids(77))
    client = cancels.register(UPSTREAM)
    assert cancels.lookup(*request_for(client)) == (UPSTREAM if found else None)


@pytest.mark.parametrize(
    ("key_bytes", "length"),
    [(4, 4), (32, 32), (256, 256), (8, None), (3, None), (257, None)],
    ids=["3.0", "3.2-32", "3.2-max", "between", "too-short", "too-long"],
)
def test_key_lengths(key_bytes: int, length: int | None) -> None:
    cancels: CancelMap[str] = CancelMap()
    if length is None:
        with pytest.raises(ValueError, match="cancel key"):
            cancels.register(UPSTREAM, key_bytes=key_bytes)
        return
    client = cancels.register(UPSTREAM, key_bytes=key_bytes)
    assert len(client.secret_key) == length
    assert 0 < client.pid <= MAX_PID
    assert cancels.lookup(client.pid, client.secret_key) == UPSTREAM


@pytest.mark.parametrize(
    ("drawn", "expected"),
    [((5, 9), [5, 9]), ((5, 5, 9), [5, 9]), ((0, -3, 2**31, 5, 5, 5, 9), [5, 9])],
    ids=["distinct", "collision-redrawn", "out-of-range-redrawn"],
)
def test_pids_are_positive_and_unique(drawn: tuple[int, ...], expected: list[int]) -> None:
    cancels = make_map(random_pid=pids(*drawn))
    assert [cancels.register(UPSTREAM).pid for _ in expected] == expected
    assert len(cancels) == len(expected)


@pytest.mark.parametrize(
    ("forget", "still_found"),
    [
        (lambda client: client, False),
        (lambda client: ClientCancelKey(client.pid, b"\xff" * 4), True),
        (lambda client: ClientCancelKey(client.pid + 1, client.secret_key), True),
    ],
    ids=["own-key", "stale-key", "other-pid"],
)
def test_unregister(
    forget: Callable[[ClientCancelKey], ClientCancelKey], still_found: bool
) -> None:
    cancels = make_map(random_pid=pids(77))
    client = cancels.register(UPSTREAM)
    cancels.unregister(forget(client))
    assert (cancels.lookup(client.pid, client.secret_key) is not None) == still_found


@pytest.mark.parametrize(
    ("failures", "advance_s", "found"),
    [(2, 0.0, True), (3, 0.0, False), (3, 9.9, False), (3, 10.1, True)],
    ids=["under-limit", "at-limit", "window-not-passed", "window-passed"],
)
def test_failed_lookups_are_rate_limited(failures: int, advance_s: float, found: bool) -> None:
    clock = Clock()
    cancels = make_map(random_pid=pids(77, 78), clock=clock, max_failures=3, window_s=10.0)
    client = cancels.register(UPSTREAM)
    for _ in range(failures):
        assert cancels.lookup(client.pid, b"\xee" * 4) is None
    clock.now += advance_s
    # once limited, even the right key is refused: the flood must not learn which guess was right
    assert (cancels.lookup(client.pid, client.secret_key) is not None) == found


def test_refused_lookups_do_not_extend_the_limit() -> None:
    clock = Clock()
    cancels = make_map(random_pid=pids(77), clock=clock, max_failures=2, window_s=10.0)
    client = cancels.register(UPSTREAM)
    for _ in range(2):
        cancels.lookup(client.pid, b"\xee" * 4)
    clock.now += 5
    for _ in range(50):  # refused while limited, not counted
        assert cancels.lookup(client.pid, b"\xee" * 4) is None
    clock.now += 5.1
    assert not cancels.limited()
    assert cancels.lookup(client.pid, client.secret_key) == UPSTREAM


def test_keys_stay_out_of_repr() -> None:
    cancels: CancelMap[str] = CancelMap()
    client = cancels.register(UPSTREAM)
    assert client.secret_key.hex() not in repr(client)
    assert "secret" not in repr(client)
    assert "secret" not in repr(UPSTREAM)


@pytest.mark.parametrize(
    ("max_failures", "window_s"), [(0, 10.0), (5, 0.0)], ids=["no-failures", "no-window"]
)
def test_rate_limit_must_be_positive(max_failures: int, window_s: float) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        CancelMap(max_failures=max_failures, window_s=window_s)


@pytest.mark.parametrize(
    ("cancelled_before", "requested"),
    [(None, False), (_same, True), (_wrong_key, False)],
    ids=["no-cancel", "own-key-while-opening", "wrong-key-while-opening"],
)
def test_a_cancel_while_the_upstream_opens_is_kept_for_the_session(
    cancelled_before: Callable[[ClientCancelKey], tuple[int, bytes]] | None, requested: bool
) -> None:
    """A session's key exists from its login; its upstream key only once the session opens its
    upstream. A cancel in between finds nothing to cancel yet, and is handed to the session."""
    cancels = make_map(random_pid=pids(77))
    client = cancels.register(None)
    if cancelled_before is not None:
        assert cancels.lookup(*cancelled_before(client)) is None
    assert cancels.attach(client, UPSTREAM) is requested
    assert cancels.lookup(*_same(client)) == UPSTREAM
