"""A statement's result on its way through the wire door: hidden columns off, subject keys read
in the format the client asked for, values masked in either format, binary values decoded."""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

import pytest

from proxy.errors import ProxyError
from proxy.pgwire import backend
from proxy.pgwire.results import ResultBuffer, decode_binary, result_formats, visible_fields
from proxy.pipeline.plan import ProxyMask, StatementPlan, TripWire
from proxy.pipeline.subjects import NO_SUBJECTS, SubjectColumn, SubjectPlan
from proxy.policy import MaskOperator

INT4, TEXT, NUMERIC = 23, 25, 1700
# `id`, `notes` shown; a hidden key column (text) after them
SUBJECTS = SubjectPlan((SubjectColumn("public.debtors", 2),), 1, True)
PLAN = StatementPlan(
    "SELECT ...", "select", True, False, (False, False), (None, None), (None, None),
    SUBJECTS, (), (), True, (),
)  # fmt: skip
FIELDS = (
    backend.FieldDescription("id", type_oid=INT4),
    backend.FieldDescription("notes", type_oid=TEXT),
    backend.FieldDescription("__palata_subject_0", type_oid=TEXT),
)


class Redactor:
    """The masker's contract: `<REDACTED>` for every text holding "secret"."""

    async def mask_column(self, values: Sequence[object], mask: ProxyMask) -> list[object]:
        return [v if v is None or "secret" not in str(v) else "<REDACTED>" for v in values]

    async def trip(self, values: Sequence[object]) -> tuple[list[object], Counter[str]]:
        found = Counter("KZ_IIN" for v in values if str(v) == "880101300123")
        return [None if str(v) == "880101300123" else v for v in values], found


@pytest.mark.parametrize(
    ("requested", "sent"),
    [
        pytest.param((), (), id="text"),
        pytest.param((1,), (1,), id="all-binary"),
        pytest.param((1, 0), (1, 0, 0), id="per-column: hidden as text"),
    ],
)
def test_result_formats(requested: tuple[int, ...], sent: tuple[int, ...]) -> None:
    assert result_formats(requested, PLAN) == sent


def test_hidden_columns_leave_the_row_description() -> None:
    assert [f.name for f in visible_fields(FIELDS, PLAN)] == ["id", "notes"]


@pytest.mark.parametrize(
    ("formats", "row", "subjects"),
    [
        pytest.param((), [b"3", b"note", b"3"], {"3"}, id="text"),
        pytest.param((1,), [struct.pack("!i", 3), b"note", b"3"], {"3"}, id="binary"),
    ],
)
def test_rows_lose_hidden_columns_and_name_their_subjects(
    formats: tuple[int, ...], row: list[bytes], subjects: set[str]
) -> None:
    visible_key = replace(SUBJECTS, columns=(*SUBJECTS.columns, SubjectColumn("public.debtors", 0)))
    buffer = ResultBuffer(replace(PLAN, subjects=visible_key), formats, FIELDS)
    buffer.add_row(row)
    assert buffer.rows == [row[:2]]
    assert {key for _, key in buffer.subjects} == subjects


@pytest.mark.parametrize("formats", [(), (1,)], ids=["text", "binary"])
async def test_masks_and_tripwire_apply_in_either_format(formats: tuple[int, ...]) -> None:
    plan = replace(
        PLAN,
        subjects=NO_SUBJECTS,
        proxy_masks=(None, ProxyMask(MaskOperator.REDACT)),
        tripwires=(TripWire(("public.t.id",)), None),
    )
    buffer = ResultBuffer(plan, formats, FIELDS[:2])
    iin = struct.pack("!q", 880101300123) if formats else b"880101300123"
    buffer.fields = (backend.FieldDescription("id", type_oid=20), FIELDS[1])
    buffer.add_row([iin, b"a secret note"])
    buffer.add_row([struct.pack("!q", 7) if formats else b"7", b"plain"])
    rows, gaps = await buffer.masked_rows(Redactor())  # type: ignore[arg-type]
    decoded = [backend.decode_data_row(memoryview(r)[5:]) for r in rows]
    assert decoded[0] == (None, b"<REDACTED>")
    assert decoded[1][1] == b"plain" and decoded[1][0] is not None
    assert gaps and gaps[0].findings == (("KZ_IIN", 1),)


@pytest.mark.parametrize(
    ("type_oid", "value", "expected"),
    [
        pytest.param(TEXT, "Ерұлан".encode(), "Ерұлан", id="text"),
        pytest.param(3802, b"\x01{\"a\": 1}", '{"a": 1}', id="jsonb"),
        pytest.param(20, struct.pack("!q", 880101300123), 880101300123, id="int8"),
        pytest.param(NUMERIC, bytes.fromhex("000300020000000004d2162e2334"), Decimal(123456789012),
                     id="numeric"),
        pytest.param(1082, b"\x00\x00\x01\x00", None, id="date-not-scanned"),
    ],
)  # fmt: skip
def test_decode_binary(type_oid: int, value: bytes, expected: object) -> None:
    assert decode_binary(type_oid, value) == expected


def test_rows_of_another_shape_than_planned_are_refused() -> None:
    """Defence in depth: rows that cannot be the planned statement's are never released."""
    buffer = ResultBuffer(PLAN, (), FIELDS)
    with pytest.raises(ProxyError, match="another shape"):
        buffer.add_row([b"1", b"2"])  # two columns where the plan has two outputs and a key
