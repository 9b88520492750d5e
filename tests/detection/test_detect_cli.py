"""`palata-proxy detect` as a real process: one output line per input line, errors in place."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

IIN = "850215312346"


def detect(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proxy", "detect", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_lines_in_lines_out_with_python_offsets() -> None:
    lines = [
        {"text": f"Ақмарал, ЖСН {IIN}, тел. +7 701 123 45 67"},
        {"text": "договор № 850215312347"},
        {"text": "😀 почта a.b@mail.kz"},
    ]
    result = detect(["--jsonl"], "\n".join(json.dumps(x, ensure_ascii=False) for x in lines))
    assert result.returncode == 0, result.stderr
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(out) == 3
    iin = next(e for e in out[0]["entities"] if e["type"] == "KZ_IIN")
    assert lines[0]["text"][iin["start"] : iin["end"]] == IIN
    assert set(iin) == {"type", "start", "end", "score"}
    assert out[1] == {"entities": []}
    email = out[2]["entities"][0]
    assert lines[2]["text"][email["start"] : email["end"]] == "a.b@mail.kz"  # not UTF-16 units


def test_bad_lines_get_an_error_in_place_and_exit_1() -> None:
    secret = f"ИИН {IIN}"
    stdin = "\n".join(
        [json.dumps({"text": "ok"}), f"{{'text': '{secret}'", "", json.dumps({"txt": secret}), "[]"]
    )
    result = detect(["--jsonl"], stdin)
    assert result.returncode == 1
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert out[0] == {"entities": []}
    assert [x["error"]["line"] for x in out[1:]] == [2, 3, 4, 5]
    assert IIN not in result.stdout + result.stderr


def test_reads_a_file(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": f"ИИН {IIN}"}) + "\n", encoding="utf-8")
    result = detect(["--jsonl", str(source)])
    assert result.returncode == 0
    assert json.loads(result.stdout)["entities"][0]["type"] == "KZ_IIN"


def test_a_missing_file_is_refused_cleanly(tmp_path: Path) -> None:
    result = detect(["--jsonl", str(tmp_path / "absent.jsonl")])
    assert result.returncode == 1
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_prints_the_table() -> None:
    result = detect(["--evaluate", str(Path(__file__).with_name("heldout.jsonl"))])
    assert result.returncode == 0, result.stderr
    assert "KZ_IIN" in result.stdout
    assert "micro" in result.stdout
