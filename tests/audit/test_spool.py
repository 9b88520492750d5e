"""The local spool: acknowledged records survive, a torn last line is cut off, damage before
the end stops the start, and only the proxy's user can read the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.audit.chain import Chain
from proxy.audit.errors import AuditSpoolCorrupt
from proxy.audit.record import AuditRecord
from proxy.audit.spool import Spool
from tests.audit.support import KEYS, make_record


def chained(count: int) -> list[AuditRecord]:
    chain = Chain("spool", KEYS)
    return [chain.append(make_record(n, "spool")) for n in range(1, count + 1)]


def test_records_read_back_in_order_from_a_private_file(tmp_path: Path) -> None:
    spool = Spool.open(tmp_path / "spool", "spool")
    records = chained(5)
    spool.append(records[:2])
    spool.append(records[2:])
    assert Spool.open(tmp_path / "spool", "spool").read() == records
    assert spool.path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700
    tail = spool.tail()
    assert tail is not None and (tail.seq, tail.hash) == (5, records[-1].hash)


@pytest.mark.parametrize(
    ("garbage", "kept"),
    [(b'{"id": "torn', 3), (b"", 3), (b"\xff\xfe", 3)],
    ids=["half a record", "nothing", "binary"],
)
def test_a_torn_last_line_is_cut_off(tmp_path: Path, garbage: bytes, kept: int) -> None:
    spool = Spool.open(tmp_path, "spool")
    records = chained(4)
    spool.append(records[:3])
    with spool.path.open("ab") as file:
        file.write(garbage)
    reopened = Spool.open(tmp_path, "spool")
    assert reopened.read() == records[:kept]
    reopened.append(records[3:])  # appends after the cut, not onto the torn line
    assert Spool.open(tmp_path, "spool").read() == records


def test_damage_before_the_end_refuses_to_open(tmp_path: Path) -> None:
    spool = Spool.open(tmp_path, "spool")
    spool.append(chained(3))
    lines = spool.path.read_bytes().splitlines(keepends=True)
    spool.path.write_bytes(lines[0] + b"{not json}\n" + lines[2])
    with pytest.raises(AuditSpoolCorrupt, match="line 2"):
        Spool.open(tmp_path, "spool")


def test_clear_empties_it(tmp_path: Path) -> None:
    spool = Spool.open(tmp_path, "spool")
    spool.append(chained(2))
    assert spool.pending
    spool.clear()
    assert not spool.pending and spool.read() == []
    assert Spool.open(tmp_path, "spool").read() == []
