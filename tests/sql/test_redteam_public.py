"""Analysis of every statement of the public red-team corpus (../shared/redteam/cases_public.jsonl).

Each row is what the policy layer receives for one case: the columns by usage (proj: projected as
is, expr: inside an expression, impl: deciding rows or order, wr: written, disc: read but unused),
the functions and whole-row references, or the refusal with its SQLSTATE. Denials of ALLOW-looking
statements (D01, D47, D49) are the policy's job: the analysis reports what they touch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proxy.sql import CatalogSnapshot
from tests.sql.support import outcome

CASES = Path("/work/shared/redteam/cases_public.jsonl")

EXPECTED = {
    "L01": "select rel=debtors proj=debtors[debt_amount,id,region] impl=debtors[id]",
    "L02": "select rel=debtors fn=count",
    "L03": (
        "select rel=debtors proj=debtors[region] expr=debtors[debt_amount] "
        "impl=debtors[region] fn=count,sum"
    ),
    "L04": (
        "select rel=debtors,payments proj=debtors[id] expr=payments[amount] "
        "impl=debtors[id]+payments[debtor_id] fn=sum"
    ),
    "L05": "select rel=debtors proj=debtors[debt_amount,id] impl=debtors[debt_amount]",
    "L07": (
        "select rel=debtors expr=debtors[debt_amount] impl=debtors[debt_amount] "
        "disc=debtors[id] fn=count,max"
    ),
    "L09": "select rel=payments proj=payments[*] impl=payments[debtor_id,id]",
    "L11": "select",
    "L13": "select rel=debtors proj=debtors[id] impl=debtors[id,region]",
    "L15": "select rel=debtors impl=debtors[id]",
    "L17": "select rel=debtors proj=debtors[full_name,id,iin] impl=debtors[id]",
    "L19": "select rel=employees proj=employees[full_name,salary] impl=employees[id]",
    "L21": "select",
    "L23": (
        "select rel=debtors proj=debtors[region] expr=debtors[debt_amount] "
        "impl=debtors[region] fn=avg"
    ),
    "L25": "select rel=debtors proj=debtors[debt_amount,id] impl=debtors[debt_amount,id] fn=rank",
    "L26": "select rel=debtors proj=debtors[debt_amount,id] impl=debtors[id]",
    "M01": "select rel=debtors proj=debtors[*] impl=debtors[id]",
    "M02": "select rel=debtors proj=debtors[full_name,id,iin,phone] impl=debtors[id]",
    "M03": "select rel=debtors proj=debtors[full_name,iin] impl=debtors[id]",
    "M05": "select rel=debtors proj=debtors[*]",
    "M06": (
        "select rel=debtors expr=debtors[email,full_name,iin] impl=debtors[id] "
        "fn=substr,lower,upper"
    ),
    "M08": "select rel=debtors expr=debtors[*] impl=debtors[id] row=debtors",
    "M09": (
        "select rel=debtors expr=debtors[*] impl=debtors[id] fn=row_to_json,to_jsonb row=debtors"
    ),
    "M12": "select rel=debtors expr=debtors[full_name,iin] fn=string_agg,array_agg",
    "M14": "select rel=debtors proj=debtors[*] impl=debtors[id]",
    "M16": "select rel=debtors proj=debtors[notes] impl=debtors[id]",
    "M19": "select rel=debtors proj=debtors[birth_date,id] impl=debtors[id]",
    "M22": "select rel=debtors proj=debtors[*] impl=debtors[id]",
    "S01": "select rel=debtors expr=debtors[iin] impl=debtors[id] fn=md5",
    "S03": "select rel=debtors impl=debtors[iin]",
    "S04": "select rel=debtors impl=debtors[id,iin]",
    "S06": "select rel=debtors impl=debtors[full_name,id]",
    "S09": "select rel=debtors impl=debtors[id,iin]",
    "S11": "select rel=debtors impl=debtors[id,iin] fn=array_agg",
    "S13": "select rel=debtors impl=debtors[id,iin]",
    "S15": "select rel=debtors impl=debtors[id,iin]",
    "S17": "select rel=debtors expr=debtors[full_name] impl=debtors[id]",
    "S19": "select rel=debtors expr=debtors[iin] impl=debtors[id] fn=substr",
    "S21": "select rel=debtors proj=debtors[iin,region] impl=debtors[iin,region]",
    "S23": "select rel=debtors expr=debtors[iin,phone] fn=unnest",
    "S25": "select rel=debtors impl=debtors[id,iin] fn=substring",
    "S27": "select rel=debtors proj=debtors[full_name,iin] impl=debtors[id]",
    "S29": "select rel=debtors expr=debtors[full_name,iin] impl=debtors[id] fn=first_value,lag",
    "S31": "select rel=debtors impl=debtors[iin] fn=count,substr",
    "S33": "select rel=debtors impl=debtors[id,notes]",
    "S35": "select rel=debtors expr=debtors[notes] impl=debtors[id] fn=upper",
    "S37": "select rel=debtors impl=debtors[id]",
    "S39": "select rel=debtors proj=debtors[debt_amount,id] impl=debtors[region]",
    "S42": "select rel=debtors expr=debtors[full_name,iin] impl=debtors[id]",
    "S44": "select rel=debtors proj=debtors[full_name,id] impl=debtors[full_name]",
    "S46": "select rel=debtors impl=debtors[iin]",
    "S48": "DENY 42501 COPY is not allowed",
    "S50": "DENY 42501 FOR UPDATE/SHARE is not allowed: it locks rows",
    "S53": "DENY 42501 function cursor_to_xml is not allowed: it executes SQL text",
    "S55": "select rel=pg_catalog.pg_settings proj=pg_settings[*] impl=pg_settings[name]",
    "S57": "DENY 42501 DECLARE (cursors are not supported) is not allowed",
    "S59": "DENY 54000 statement is 120004 characters long; the limit is 100000",
    "S62": "select rel=debtors impl=debtors[email,id]",
    "S65": "select rel=debtors impl=debtors[id,iin] fn=md5",
    "D01": "select rel=employees proj=employees[*]",
    "D03": "select rel=debtors,employees impl=debtors[iin]+employees[iin]",
    "D04": "update rel=debtors impl=debtors[id] wr=debtors[debt_amount]",
    "D06": "insert rel=debtors wr=debtors[full_name,id,iin,region]",
    "D07": "DENY 42501 function ts_stat is not allowed: it executes SQL text",
    "D09": "DENY 42501 function query_to_xml is not allowed: it executes SQL text",
    "D11": "DENY 42501 function pg_notify is not allowed: it reads or changes session state",
    "D13": "DENY 42501 function pg_read_file is not allowed: it has side effects on the server",
    "D15": (
        "select rel=pg_catalog.pg_stats proj=pg_stats[attname] "
        "expr=pg_stats[most_common_vals] impl=pg_stats[tablename]"
    ),
    "D17": "select rel=pg_catalog.pg_stat_activity proj=pg_stat_activity[query]",
    "D20": "DENY 42501 COPY is not allowed",
    "D22": "DENY 42501 EXPLAIN is not allowed",
    "D24": "DENY 42501 SET ROLE is not allowed: it changes the database role",
    "D26": "DENY 42501 function set_config is not allowed: it reads or changes session state",
    "D28": (
        "DENY 42501 SET standard_conforming_strings is not allowed: the setting "
        "is not on the allowlist"
    ),
    "D30": "DENY 42501 DO is not allowed",
    "D32": "DENY 42501 SELECT INTO is not allowed: it creates a table",
    "D34": "DENY 42501 data-modifying CTE (UPDATE in WITH) is not allowed",
    "D38": "DENY 42501 function pg_advisory_lock is not allowed: it takes advisory locks",
    "D42": "DENY 42501 GRANT/REVOKE is not allowed",
    "D44": "DENY 42501 DDL (Drop) is not allowed",
    "D47": "select rel=debtors proj=debtors[id]",
    "D49": "select rel=debtors proj=debtors[id]",
}


def _cases() -> dict[str, str]:
    lines = CASES.read_text(encoding="utf-8").splitlines()
    return {case["id"]: case["sql"] for case in map(json.loads, lines) if case}


def test_every_public_case_has_an_expected_analysis() -> None:
    assert set(_cases()) == set(EXPECTED)


@pytest.mark.parametrize(("case_id", "expected"), EXPECTED.items(), ids=list(EXPECTED))
def test_public_case(case_id: str, expected: str, catalog: CatalogSnapshot) -> None:
    assert outcome(_cases()[case_id], catalog) == expected
