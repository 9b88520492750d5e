"""The statement allowlist: kinds that pass, and refusals that name the construct."""

from __future__ import annotations

import pytest

from proxy.sql import CatalogSnapshot, Kind, analyze_sql
from tests.sql.support import outcome

ALLOWED = [
    ("select", "SELECT 1", Kind.SELECT, None),
    ("values", "VALUES (1)", Kind.SELECT, None),
    ("table", "TABLE payments", Kind.SELECT, None),
    ("insert", "INSERT INTO payments VALUES (1, 1, current_date, 1)", Kind.INSERT, None),
    ("update", "UPDATE payments SET amount = 1 WHERE id = 1", Kind.UPDATE, None),
    ("delete", "DELETE FROM payments WHERE id = 1", Kind.DELETE, None),
    ("set_application_name", "SET application_name = 'app'", Kind.SET, "application_name"),
    ("set_local_timeout", "SET LOCAL statement_timeout = '5s'", Kind.SET, "statement_timeout"),
    ("set_datestyle", "SET DateStyle TO ISO", Kind.SET, "datestyle"),
    ("set_time_zone", "SET TIME ZONE 'UTC'", Kind.SET, "timezone"),
    ("set_extra_float_digits", "SET extra_float_digits = 3", Kind.SET, "extra_float_digits"),
    ("reset_timezone", "RESET timezone", Kind.SET, "timezone"),
    ("show_server_version", "SHOW server_version", Kind.SHOW, "server_version"),
    ("show_scs", "SHOW standard_conforming_strings", Kind.SHOW, "standard_conforming_strings"),
    ("begin", "BEGIN", Kind.TRANSACTION, None),
    ("begin_isolation", "BEGIN ISOLATION LEVEL REPEATABLE READ", Kind.TRANSACTION, None),
    ("start_transaction", "START TRANSACTION READ ONLY", Kind.TRANSACTION, None),
    ("commit", "COMMIT", Kind.TRANSACTION, None),
    ("rollback", "ROLLBACK", Kind.TRANSACTION, None),
    ("savepoint", "SAVEPOINT s1", Kind.TRANSACTION, None),
    ("rollback_to", "ROLLBACK TO SAVEPOINT s1", Kind.TRANSACTION, None),
    ("release", "RELEASE SAVEPOINT s1", Kind.TRANSACTION, None),
    ("set_transaction", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", Kind.TRANSACTION,
     "transaction"),
    ("reset_all", "RESET ALL", Kind.SESSION, "all"),
    ("unlisten_all", "UNLISTEN *", Kind.SESSION, None),
    ("close_all", "CLOSE ALL", Kind.SESSION, None),
]  # fmt: skip

DENIED = [
    ("do", "DO $$BEGIN NULL; END$$", "DO is not allowed"),
    ("create_table", "CREATE TABLE t (a int)", "DDL (Create)"),
    ("create_view", "CREATE VIEW v AS SELECT 1", "DDL (View)"),
    ("create_function", "CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql", "DDL"),
    ("alter_table", "ALTER TABLE debtors ADD COLUMN x int", "DDL (Alter"),
    ("drop_table", "DROP TABLE payments", "DDL (Drop)"),
    ("truncate", "TRUNCATE payments", "TRUNCATE is not allowed"),
    ("grant", "GRANT SELECT ON debtors TO PUBLIC", "GRANT/REVOKE is not allowed"),
    ("revoke", "REVOKE SELECT ON debtors FROM PUBLIC", "GRANT/REVOKE is not allowed"),
    ("copy_to_stdout", "COPY debtors TO STDOUT", "COPY is not allowed"),
    ("copy_query", "COPY (SELECT iin FROM debtors) TO STDOUT", "COPY is not allowed"),
    ("copy_from_program", "COPY debtors FROM PROGRAM 'id'", "COPY is not allowed"),
    ("explain", "EXPLAIN SELECT 1", "EXPLAIN is not allowed"),
    ("explain_analyze", "EXPLAIN ANALYZE SELECT 1 FROM debtors", "EXPLAIN is not allowed"),
    ("select_into", "SELECT * INTO t FROM debtors", "SELECT INTO is not allowed"),
    ("create_table_as", "CREATE TABLE t AS SELECT * FROM debtors", "CREATE TABLE AS"),
    ("data_modifying_cte", "WITH u AS (DELETE FROM payments RETURNING *) SELECT * FROM u",
     "data-modifying CTE (DELETE in WITH)"),
    ("for_update", "SELECT * FROM debtors FOR UPDATE", "FOR UPDATE/SHARE"),
    ("for_key_share", "SELECT id FROM debtors FOR KEY SHARE", "FOR UPDATE/SHARE"),
    ("listen", "LISTEN c", "LISTEN is not allowed"),
    ("notify", "NOTIFY c, 'x'", "NOTIFY is not allowed"),
    ("unlisten_one", "UNLISTEN c", "Unlisten"),
    ("set_role", "SET ROLE postgres", "SET ROLE is not allowed"),
    ("reset_role", "RESET ROLE", "SET ROLE is not allowed"),
    ("set_session_authorization", "SET SESSION AUTHORIZATION postgres",
     "SET SESSION_AUTHORIZATION is not allowed"),
    ("set_search_path", "SET search_path = evil, public", "SET search_path is not allowed"),
    ("set_scs", "SET standard_conforming_strings = off", "SET standard_conforming_strings"),
    ("set_custom_guc", "SET x.v = '1'", "SET x.v is not allowed"),
    ("set_config_role", "SET session_replication_role = replica", "not on the allowlist"),
    ("set_session_characteristics", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
     "SET SESSION CHARACTERISTICS"),
    ("show_all", "SHOW ALL", "SHOW all is not allowed"),
    ("show_custom", "SHOW x.v", "SHOW x.v is not allowed"),
    ("prepare", "PREPARE q AS SELECT 1", "PREPARE"),
    ("execute", "EXECUTE q", "EXECUTE is not allowed"),
    ("deallocate", "DEALLOCATE q", "DEALLOCATE is not allowed"),
    ("declare", "DECLARE c CURSOR FOR SELECT iin FROM debtors", "DECLARE"),
    ("fetch", "FETCH ALL FROM c", "FETCH"),
    ("close_one", "CLOSE c", "ClosePortal"),
    ("call", "CALL p()", "CALL is not allowed"),
    ("lock", "LOCK TABLE debtors", "LOCK is not allowed"),
    ("vacuum", "VACUUM debtors", "VACUUM/ANALYZE is not allowed"),
    ("analyze", "ANALYZE debtors", "VACUUM/ANALYZE is not allowed"),
    ("alter_system", "ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM is not allowed"),
    ("load", "LOAD 'auto_explain'", "LOAD is not allowed"),
    ("discard", "DISCARD ALL", "DISCARD is not allowed"),
    ("merge", "MERGE INTO payments p USING debtors d ON p.id = d.id WHEN MATCHED THEN DELETE",
     "MERGE is not allowed"),
    ("prepare_transaction", "PREPARE TRANSACTION 'x'", "transaction command"),
    ("security_label", "SECURITY LABEL ON TABLE debtors IS 'x'", "SECURITY LABEL"),
    ("comment", "COMMENT ON TABLE debtors IS 'x'", "COMMENT is not allowed"),
    ("declare_after_begin", "BEGIN; DECLARE c CURSOR FOR SELECT 1; FETCH ALL FROM c; COMMIT",
     "DECLARE"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "kind", "setting"), [r[1:] for r in ALLOWED], ids=[r[0] for r in ALLOWED]
)
def test_allowed(sql: str, kind: Kind, setting: str | None, catalog: CatalogSnapshot) -> None:
    (_, analysis), *_ = analyze_sql(sql, catalog)
    assert (analysis.kind, analysis.setting) == (kind, setting)


@pytest.mark.parametrize(("sql", "reason"), [r[1:] for r in DENIED], ids=[r[0] for r in DENIED])
def test_denied(sql: str, reason: str, catalog: CatalogSnapshot) -> None:
    result = outcome(sql, catalog)
    assert result.startswith("DENY 42501 ")
    assert reason in result
