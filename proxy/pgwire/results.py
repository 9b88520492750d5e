"""One statement's result as it crosses the wire door: hidden columns off, proxy masks on.

The rewrite appends hidden subject-key columns (`proxy.pipeline.subjects`, cast to text so
either result format carries their UTF-8) after the client's own; here they are cut from every
RowDescription and DataRow, after the keys were read for the audit. Columns the plan masks on
the way out (redaction, pseudonyms, the tripwire) are decoded, masked by the pipeline's
`OutputMasker` and encoded again. Values stay bytes otherwise: the database encoded them in the
format the client asked for, and the proxy does not touch what it need not read.
"""

from __future__ import annotations

import struct
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from proxy.pgwire import backend
from proxy.pgwire.errors import FeatureNotSupported, ResultMismatch
from proxy.pipeline.output_masks import CatalogueGap, OutputMasker
from proxy.pipeline.plan import StatementPlan

Value = bytes | None
PLANNED_KINDS = frozenset({"select", "insert", "update", "delete"})  # plans with outputs
TEXT_FORMAT = 0
# types whose binary form is their UTF-8 text (what the masker reads and writes)
TEXT_TYPES = frozenset({25, 1043, 1042, 19, 18})  # text, varchar, bpchar, name, char
INTEGER_TYPES = {21: struct.Struct("!h"), 23: struct.Struct("!i"), 20: struct.Struct("!q")}
JSON_TYPE, JSONB_TYPE, NUMERIC_TYPE, UUID_TYPE = 114, 3802, 1700, 2950
NUMERIC_HEADER = struct.Struct("!hhHh")
NUMERIC_NEG, NUMERIC_NAN = 0x4000, 0xC000


def visible_fields(
    fields: Sequence[backend.FieldDescription], plan: StatementPlan | None
) -> tuple[backend.FieldDescription, ...]:
    """A RowDescription's fields without the plan's hidden columns."""
    hidden = plan.subjects.hidden if plan is not None else 0
    return tuple(fields[: len(fields) - hidden] if hidden else fields)


def result_formats(requested: tuple[int, ...], plan: StatementPlan | None) -> tuple[int, ...]:
    """Bind's result formats for the rewritten statement: a client that lists one format per
    column it knows of gets text for the hidden columns it does not know of."""
    hidden = plan.subjects.hidden if plan is not None else 0
    if hidden and len(requested) > 1:
        return (*requested, *([TEXT_FORMAT] * hidden))
    return requested


@dataclass
class ResultBuffer:
    """The rows of one statement run, held until its audit record is durable."""

    plan: StatementPlan | None
    formats: tuple[int, ...]  # the result formats asked for (Bind's, or () for text)
    fields: tuple[backend.FieldDescription, ...] = ()  # as the database described them
    rows: list[list[Value]] = field(default_factory=list)
    subjects: set[tuple[str, str]] = field(default_factory=set)
    undetermined: bool = False  # a subject key could not be read
    size: int = 0  # bytes of the DataRows held
    overflowed: bool = False  # past the limit: rows dropped, the run will be refused

    def hold(self, frame_size: int, values: Sequence[Value], limit: int) -> None:
        """Keep a DataRow until the run completes, unless the run is past `limit` bytes: then
        nothing more is kept (its subjects still are), and the run is refused at its end."""
        self.size += frame_size
        if self.size > limit:
            self.overflowed = True
            self.rows.clear()
        self.add_row(values)
        if self.overflowed:
            self.rows.clear()

    def describe(self, fields: Sequence[backend.FieldDescription]) -> bytes:
        self.fields = tuple(fields)
        return backend.row_description(visible_fields(fields, self.plan))

    def add_row(self, values: Sequence[Value]) -> None:
        plan = self.plan
        if plan is not None and not _shaped_as_planned(plan, len(values)):
            # the rows must be those of the statement the plan is for: a mismatch means the
            # session's names no longer match the server's, and nothing is released
            raise ResultMismatch(
                "the database returned rows of another shape than the statement the proxy "
                "planned: the session is closed"
            )
        if plan is None or not plan.subjects.columns:
            self.rows.append(list(values))
            return
        for column in plan.subjects.columns:
            key = values[column.index]
            if key is not None:
                self._add_subject(column.of, column.index, key)
        hidden = plan.subjects.hidden
        self.rows.append(list(values[: len(values) - hidden] if hidden else values))

    def _add_subject(self, of: str, index: int, key: bytes) -> None:
        """A subject key as the audit names it: its text. The hidden key columns are text in
        either format; a key the client selected itself comes in the format it asked for."""
        hidden = self.plan is not None and index >= len(self.plan.masked_outputs)
        if hidden or not self._binary(index):
            self.subjects.add((of, key.decode("utf-8", "surrogateescape")))
            return
        value = decode_binary(self._type(index), key) if index < len(self.fields) else None
        if value is None:  # a key type the proxy does not decode: whose rows is not known
            self.undetermined = True
        else:
            self.subjects.add((of, str(value)))

    async def masked_rows(self, masker: OutputMasker) -> tuple[list[bytes], list[CatalogueGap]]:
        """The DataRows to release, masked as the plan says, and the catalogue gaps found."""
        gaps = await self._apply_masks(masker) if self.rows else []
        return [backend.data_row(row) for row in self.rows], gaps

    async def _apply_masks(self, masker: OutputMasker) -> list[CatalogueGap]:
        plan = self.plan
        if plan is None:
            return []
        gaps: list[CatalogueGap] = []
        for i, mask in enumerate(plan.proxy_masks):
            if mask is not None:
                texts = [self._text_of(i, value) for value in self._column(i)]
                self._store(i, texts, await masker.mask_column(texts, mask))
        for i, wire in enumerate(plan.tripwires):
            if wire is None:
                continue
            values = [self._scannable(i, value) for value in self._column(i)]
            scanned, found = await masker.trip(values)
            if found:
                self._store(i, values, scanned)
                gaps.append(CatalogueGap(wire.unclassified, tuple(sorted(Counter(found).items()))))
        return gaps

    def _column(self, index: int) -> list[Value]:
        return [row[index] for row in self.rows]

    def _binary(self, index: int) -> bool:
        formats = self.formats
        if not formats:
            return False
        return (formats[0] if len(formats) == 1 else formats[index]) != TEXT_FORMAT

    def _type(self, index: int) -> int:
        return self.fields[index].type_oid if index < len(self.fields) else 0

    def _text_of(self, index: int, value: Value) -> str | None:
        """A value the proxy masks, as text: text-format values, and text types in binary."""
        if value is None:
            return None
        if not self._binary(index) or self._type(index) in TEXT_TYPES:
            return value.decode("utf-8", "surrogateescape")
        raise FeatureNotSupported(
            "a column the proxy must redact came back in binary format for a type it does not "
            "decode; ask for text results for this statement"
        )

    def _scannable(self, index: int, value: Value) -> object:
        """A value as the tripwire reads it (what the HTTP door's decoded values would be):
        text and numbers; binary values of other types are not scanned (None)."""
        if value is None:
            return None
        if not self._binary(index):
            return value.decode("utf-8", "surrogateescape")
        return decode_binary(self._type(index), value)

    def _store(self, index: int, before: Sequence[object], after: Sequence[object]) -> None:
        """Write back the values a mask changed; the others keep the database's bytes."""
        textual = not self._binary(index) or self._type(index) in TEXT_TYPES
        for row, old, new in zip(self.rows, before, after, strict=True):
            if new == old:
                continue
            if new is None or not textual:  # a changed number has no binary form: withheld
                row[index] = None
            else:
                row[index] = str(new).encode("utf-8", "surrogateescape")


def _shaped_as_planned(plan: StatementPlan, width: int) -> bool:
    if plan.kind not in PLANNED_KINDS or not plan.masked_outputs:
        return True  # SHOW and the like: no outputs planned to compare with
    return width == len(plan.masked_outputs) + plan.subjects.hidden


def decode_binary(type_oid: int, value: bytes) -> object:
    """The binary value of a type that can carry text or an identifier-like number; None for
    every other type."""
    if type_oid in TEXT_TYPES or type_oid == JSON_TYPE:
        return value.decode("utf-8", "surrogateescape")
    if type_oid == JSONB_TYPE and value[:1] == b"\x01":
        return value[1:].decode("utf-8", "surrogateescape")
    integer = INTEGER_TYPES.get(type_oid)
    if integer is not None:
        return integer.unpack(value)[0]
    if type_oid == NUMERIC_TYPE:
        return decode_numeric(value)
    if type_oid == UUID_TYPE:
        return uuid.UUID(bytes=value)
    return None


def decode_numeric(value: bytes) -> Decimal | None:
    """PostgreSQL's binary numeric: base-10000 digits with a weight, a sign and a scale."""
    count, weight, sign, scale = NUMERIC_HEADER.unpack_from(value)
    if sign == NUMERIC_NAN:
        return None
    digits = struct.unpack_from(f"!{count}h", value, NUMERIC_HEADER.size)
    number = Decimal(0)
    for position, digit in enumerate(digits):
        number += Decimal(digit).scaleb(4 * (weight - position))
    number = number.quantize(Decimal(1).scaleb(-scale)) if scale else number
    return -number if sign == NUMERIC_NEG else number
