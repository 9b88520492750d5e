"""The function allowlist: everyday functions pass, the dangerous ones are refused by name."""

from __future__ import annotations

import pytest

from proxy.sql import CatalogSnapshot
from tests.sql.support import outcome

ALLOWED = [
    "lower(full_name)", "upper(region)", "char_length(region::text)", "substr(iin, 1, 4)",
    "coalesce(phone, email)", "greatest(debt_amount, 0)", "round(debt_amount, 0)",
    "date_trunc('month', birth_date)", "age(birth_date)", "to_char(birth_date, 'YYYY')",
    "now()", "count(*)", "sum(debt_amount)", "avg(debt_amount)", "min(id)", "max(id)",
    "string_agg(region, ',')", "array_agg(id)", "json_agg(id)", "row_number() OVER ()",
    "rank() OVER (ORDER BY id)", "lag(id) OVER (ORDER BY id)", "row_to_json(d)",
    "to_jsonb(d)", "json_build_object('id', id)", "md5(iin)", "format('%s', id)",
    "pg_catalog.upper(region)", "extract(year FROM birth_date)", "btrim(region)",
    "split_part(email, '@', 2)", "regexp_replace(phone, '\\d', 'x')", "pg_advisory_unlock_all()",
]  # fmt: skip

DENIED = [
    ("query_to_xml('SELECT 1', true, false, '')", "executes SQL text"),
    ("query_to_xml_and_xmlschema('SELECT 1', true, false, '')", "executes SQL text"),
    ("table_to_xml('debtors', true, false, '')", "executes SQL text"),
    ("cursor_to_xml('c', 1, true, false, '')", "executes SQL text"),
    ("ts_rewrite('a'::tsquery, 'SELECT 1')", "executes SQL text"),
    ("dblink('', 'SELECT 1')", "executes SQL text"),
    ("set_config('role', 'postgres', false)", "session state"),
    ("current_setting('x.v')", "session state"),
    ("pg_notify('c', iin)", "session state"),
    ("nextval('s')", "session state"),
    ("setval('s', 1)", "session state"),
    ("pg_sleep(1)", "side effects"),
    ("pg_sleep_for('1s')", "side effects"),
    ("pg_advisory_lock(1)", "advisory locks"),
    ("pg_advisory_xact_lock_shared(1)", "advisory locks"),
    ("lo_import('/etc/passwd')", "side effects"),
    ("lo_creat(1)", "large objects"),
    ("pg_read_file('/etc/passwd')", "side effects"),
    ("pg_read_binary_file('/etc/passwd')", "side effects"),
    ("pg_ls_dir('.')", "side effects"),
    ("pg_ls_waldir()", "lists server files"),
    ("pg_stat_file('x')", "side effects"),
    ("pg_terminate_backend(1)", "side effects"),
    ("pg_cancel_backend(1)", "side effects"),
    ("hashtext(iin)", "not on the function allowlist"),
    ("to_tsvector(full_name)", "not on the function allowlist"),
    ("public.lower(region)", "only pg_catalog functions"),
]


@pytest.mark.parametrize("call", ALLOWED)
def test_allowed(call: str, catalog: CatalogSnapshot) -> None:
    assert not outcome(f"SELECT {call} FROM debtors d", catalog).startswith("DENY")


@pytest.mark.parametrize(("call", "reason"), DENIED, ids=[c.split("(")[0] for c, _ in DENIED])
def test_denied(call: str, reason: str, catalog: CatalogSnapshot) -> None:
    result = outcome(f"SELECT {call} FROM debtors d", catalog)
    assert result.startswith("DENY 42501 function ")
    assert reason in result
