"""Export formats: JSON lines as the record is, and RFC 5424 syslog lines a SIEM can parse."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from proxy.audit.codec import record_from_json
from proxy.audit.export import export_lines, jsonl_line, param_value, syslog_line
from proxy.audit.record import AuditRecord
from tests.audit.search_support import debtor, make_record

# RFC 5424 section 6, the header and structured data
PRI = r"<(?P<pri>[0-9]{1,3})>"
VERSION = r"1"
TIMESTAMP = (
    r"(?P<ts>-|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2}))"
)
HOSTNAME = r"(?P<host>-|[\x21-\x7e]{1,255})"
APP_NAME = r"(?P<app>-|[\x21-\x7e]{1,48})"
PROCID = r"(?P<procid>-|[\x21-\x7e]{1,128})"
MSGID = r"(?P<msgid>-|[\x21-\x7e]{1,32})"
SD_NAME = r"[\x21-\x7e]{1,32}"  # minus = ] " (checked below)
PARAM_VALUE = r'(?:[^"\\\]]|\\["\\\]])*'
SD_ELEMENT = rf'\[{SD_NAME}(?: {SD_NAME}="{PARAM_VALUE}")*\]'
SYSLOG = re.compile(
    rf"{PRI}{VERSION} {TIMESTAMP} {HOSTNAME} {APP_NAME} {PROCID} {MSGID} "
    rf"(?P<sd>-|(?:{SD_ELEMENT})+)(?: (?P<msg>.*))?"
)

RECORD = make_record(7, subjects=(debtor(1), debtor(2)), subject_count=2, rows=2)


def params_of(line: str) -> dict[str, str]:
    match = SYSLOG.fullmatch(line)
    assert match is not None, line
    pairs = re.findall(r'(\w+)="((?:[^"\\\]]|\\["\\\]])*)"', match["sd"])
    return {name: re.sub(r"\\([\"\\\]])", r"\1", value) for name, value in pairs}


def test_a_json_line_is_the_record_with_sorted_keys() -> None:
    line = jsonl_line(RECORD)
    assert "\n" not in line
    assert record_from_json(json.loads(line)) == RECORD  # what `audit verify` would read
    assert list(json.loads(line)) == sorted(RECORD.to_json())
    assert "тест" in line  # UTF-8, not \u escapes


@pytest.mark.parametrize(
    ("outcome", "facility", "pri"),
    [
        pytest.param("served", "authpriv", 85, id="served-notice"),
        pytest.param("denied", "authpriv", 84, id="denied-warning"),
        pytest.param("failed", "authpriv", 83, id="failed-error"),
        pytest.param("served", "local0", 133, id="local0"),
    ],
)
def test_syslog_header(outcome: str, facility: str, pri: int) -> None:
    line = syslog_line(replace(RECORD, outcome=outcome), "audit-host", facility)  # type: ignore[arg-type]
    match = SYSLOG.fullmatch(line)
    assert match is not None, line
    assert int(match["pri"]) == pri
    assert (match["ts"], match["host"], match["app"]) == (
        "2026-03-02T09:07:00.000000Z",
        "audit-host",
        "palata-proxy",
    )
    assert (match["procid"], match["msgid"]) == ("-", outcome)


def test_syslog_structured_data_carries_the_record() -> None:
    params = params_of(syslog_line(RECORD, "h"))
    assert params | {"id": "", "door": ""} == {
        "id": "",
        "door": "",
        "instance": "palata-proxy-test",
        "seq": "7",
        "principal": "collector",
        "purpose": "debt_collection",
        "kind": "select",
        "outcome": "served",
        "rows": "2",
        "subjects": "2",
    }
    assert debtor(1) not in syslog_line(RECORD, "h")  # a count, not the HMACs


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        pytest.param('say "hi"', 'say \\"hi\\"', id="quote"),
        pytest.param("back\\slash", "back\\\\slash", id="backslash"),
        pytest.param("a]b", "a\\]b", id="bracket"),
        pytest.param('\\"]', '\\\\\\"\\]', id="all-three"),
        pytest.param("line\nbreak", "line break", id="newline"),
        pytest.param("Әбенов [kk]", "Әбенов [kk\\]", id="utf8"),
    ],
)
def test_param_values_are_escaped(value: str, escaped: str) -> None:
    assert param_value(value) == escaped


@pytest.mark.parametrize(
    "principal",
    [
        pytest.param('evil"] [x@1 a="b', id="sd-injection"),
        pytest.param("user\\]", id="trailing-escape"),
        pytest.param("two\nlines", id="newline"),
    ],
)
def test_hostile_values_stay_inside_one_param(principal: str) -> None:
    line = syslog_line(replace(RECORD, principal=principal), "h")
    assert "\n" not in line
    assert params_of(line)["principal"] == principal.replace("\n", " ")


@pytest.mark.parametrize(
    ("hostname", "expected"),
    [
        pytest.param("", "-", id="empty"),
        pytest.param("host name", "hostname", id="space"),
        pytest.param("x" * 300, "x" * 255, id="long"),
    ],
)
def test_hostname_is_printable_ascii(hostname: str, expected: str) -> None:
    match = SYSLOG.fullmatch(syslog_line(RECORD, hostname))
    assert match is not None and match["host"] == expected


def test_unknown_subjects_and_missing_values() -> None:
    record = replace(RECORD, subject_count=None, rows=None, purpose=None)
    params = params_of(syslog_line(record, "h"))
    assert params["subjects"] == "unknown"
    assert "rows" not in params and "purpose" not in params


def test_export_lines_end_each_record_with_a_newline() -> None:
    records: list[AuditRecord] = [RECORD, replace(RECORD, seq=8)]
    for fmt in ("jsonl", "syslog"):
        text = "".join(export_lines(records, fmt, "h"))  # type: ignore[arg-type]
        assert text.count("\n") == 2 and text.endswith("\n")
