"""`palata-proxy identity scram`: a password on stdin (or typed twice at a terminal) becomes the
`scram_sha256` line to paste; the password itself is never printed."""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.cli import identity
from proxy.errors import ConfigError
from proxy.identity.principals import PrincipalDirectory, token_digest
from proxy.identity.scram import verifies
from tests.cli.process import run_cli

PASSWORD = "s3cret wire password"
LINE = re.compile(r'^scram_sha256 = "SCRAM-SHA-256\$(\d+):[^"]+"\n$')
# the verb is written here; `proxy/cli/__init__.py` must list it for `python -m proxy` to reach it


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="palata-proxy")
    identity.add_parser(top.add_subparsers(dest="command", required=True))
    return top


def scram(monkeypatch: pytest.MonkeyPatch, stdin: io.StringIO, *options: str) -> int:
    monkeypatch.setattr(sys, "stdin", stdin)
    args = parser().parse_args(["identity", "scram", *options])
    status: int = args.run(args)
    return status


def pasted(tmp_path: Path, line: str) -> PrincipalDirectory:
    path = tmp_path / "principals.toml"
    path.write_text(f'[wire]\nroles = ["r"]\ntoken_sha256 = "{token_digest("t")}"\n{line}')
    return PrincipalDirectory.from_file(path)


@pytest.mark.parametrize(
    "stdin",
    [PASSWORD, PASSWORD + "\n", PASSWORD + "\r\n"],
    ids=["printf", "echo", "crlf"],
)
def test_a_password_on_stdin_becomes_a_verifier(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    stdin: str,
) -> None:
    assert scram(monkeypatch, io.StringIO(stdin)) == 0
    out, err = capsys.readouterr()
    assert LINE.match(out)
    assert PASSWORD not in out + err
    credential = pasted(tmp_path, out).scram_credential("wire")
    assert credential is not None
    assert verifies(credential, PASSWORD)


def test_iterations_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scram(monkeypatch, io.StringIO(PASSWORD), "--iterations", "8192")
    match = LINE.match(capsys.readouterr().out)
    assert match is not None
    assert match.group(1) == "8192"


def test_a_terminal_is_asked_twice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(identity, "getpass", lambda prompt: next(answers))
    assert scram(monkeypatch, Terminal()) == 0
    out = capsys.readouterr().out
    assert LINE.match(out)
    assert PASSWORD not in out


@pytest.mark.parametrize(
    ("stdin", "options", "reason"),
    [
        ("", (), "the password is empty"),
        ("\n", (), "the password is empty"),
        (PASSWORD + "\nsecond line\n", (), "more than one line"),
        (PASSWORD, ("--iterations", "1000"), "iteration count must be"),
        (PASSWORD + "\x07", (), "SASLprep"),
    ],
    ids=["empty", "empty-line", "two-lines", "few-iterations", "control-character"],
)
def test_refusals_never_echo_the_password(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: str,
    options: tuple[str, ...],
    reason: str,
) -> None:
    with pytest.raises(ConfigError, match=reason) as caught:
        scram(monkeypatch, io.StringIO(stdin), *options)
    out, err = capsys.readouterr()
    assert PASSWORD not in caught.value.message + out + err


def test_a_terminal_with_two_different_answers_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: Iterator[str] = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(identity, "getpass", lambda prompt: next(answers))
    with pytest.raises(ConfigError, match="the two passwords differ"):
        scram(monkeypatch, Terminal())


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        (["identity", "scram"], 0, "scram_sha256 = "),
        (["identity", "scram", "--iterations", "10"], 2, "palata-proxy: error: the iteration"),
    ],
    ids=["verifier", "bad-iterations"],
)
def test_as_a_process(args: list[str], status: int, expected: str) -> None:
    result = run_cli(args, stdin=PASSWORD + "\n")
    assert result.returncode == status, result.stderr
    assert expected in result.stdout + result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
