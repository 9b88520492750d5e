"""Identifiers the proxy writes into SQL itself."""

from __future__ import annotations

import pytest

from proxy.sql.quoting import quote_ident, quote_qualified


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("debtors", '"debtors"'), ('we"ird', '"we""ird"'), ("Алматы", '"Алматы"'), ("", '""')],
    ids=["plain", "quote-doubled", "cyrillic", "empty"],
)
def test_quote_ident(name: str, quoted: str) -> None:
    assert quote_ident(name) == quoted


def test_quote_qualified() -> None:
    assert quote_qualified("public", 'x"y') == '"public"."x""y"'
