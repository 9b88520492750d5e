"""`palata-proxy scan` on a freshly generated synthetic Palata database.

The generator knows which columns hold personal data (`proxy.synth.PERSONAL_COLUMNS`, from which
`policies/catalogue.toml` is derived): the scan must propose exactly those, with their kinds,
and the kinds a value can show (`VALUE_KINDS`) must come from the values, not the name.
"""

from __future__ import annotations

import asyncio
import re
import tomllib
from pathlib import Path

import pytest

from proxy.errors import ConfigError, UpstreamUnavailable
from proxy.synth import build_dataset
from proxy.synth.catalogue import PERSONAL_COLUMNS, VALUE_KINDS
from tests.synth.db import fetch

from .conftest import scan_args

DEBTORS = 400
CATALOGUE = Path(__file__).parents[2] / "policies" / "catalogue.toml"


@pytest.fixture(scope="module")
def built(fresh_dsn: str) -> str:
    asyncio.run(build_dataset(fresh_dsn, debtors=DEBTORS, seed=7, progress=False))
    return fresh_dsn


@pytest.fixture(scope="module")
def uncatalogued(built: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The proposals of a scan compared with an empty catalogue: every finding is new."""
    folder = tmp_path_factory.mktemp("scan")
    (folder / "empty.toml").write_text("")
    out = folder / "proposed.toml"
    args = scan_args(
        "--upstream", built, "--out", str(out), "--catalogue", str(folder / "empty.toml")
    )
    assert args.run(args) == 0
    return out


def proposals(path: Path) -> dict[str, str]:
    """`table.column` -> kind, for every entry of a proposals file."""
    tables = tomllib.loads(path.read_text())["tables"]
    return {
        f"{table.removeprefix('public.')}.{column}": spec["kind"]
        for table, body in tables.items()
        for column, spec in body.get("columns", {}).items()
    }


def test_finds_every_personal_column_the_generator_knows_and_no_other(uncatalogued: Path) -> None:
    expected = {name: kind for name, (kind, _) in PERSONAL_COLUMNS.items()}
    found = proposals(uncatalogued)
    assert sorted(set(found) - set(expected)) == [], "proposed, not personal"
    assert sorted(set(expected) - set(found)) == [], "personal, not found"
    assert found == expected


def test_kinds_a_value_can_show_come_from_the_values(uncatalogued: Path) -> None:
    lines = uncatalogued.read_text().splitlines()
    by_name = {m.group(1) for line in lines if (m := re.match(r"(\w+) = .*BY NAME ONLY", line))}
    value_columns = [n for n, (kind, _) in PERSONAL_COLUMNS.items() if kind in VALUE_KINDS]
    assert [n for n in value_columns if n.split(".")[1] in by_name] == []


def test_no_sampled_value_reaches_the_file(built: str, uncatalogued: Path) -> None:
    text = uncatalogued.read_text()
    leaked = []
    for name in PERSONAL_COLUMNS:
        table, column = name.split(".")
        rows = fetch(built, f'SELECT DISTINCT "{column}"::text FROM public."{table}"')
        leaked += [name for (value,) in rows if value and len(value) >= 5 and value in text]
    assert leaked == []


def test_with_the_project_catalogue_everything_is_already_classified(
    built: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "proposed.toml"
    args = scan_args("--upstream", built, "--out", str(out), "--catalogue", str(CATALOGUE))
    assert args.run(args) == 0
    summary = capsys.readouterr().out
    assert f"new 0, already classified {len(PERSONAL_COLUMNS)}, disagreements 0" in summary
    assert "tables" not in tomllib.loads(out.read_text())


def test_an_existing_file_is_not_overwritten_without_force(built: str, tmp_path: Path) -> None:
    out = tmp_path / "proposed.toml"
    out.write_text("keep me")
    args = scan_args("--upstream", built, "--out", str(out), "--catalogue", str(CATALOGUE))
    with pytest.raises(ConfigError, match="--force"):
        args.run(args)
    assert out.read_text() == "keep me"
    forced = scan_args("--upstream", built, "--out", str(out), "--force", "--sample", "20")
    assert forced.run(forced) == 0
    assert out.read_text().startswith("# Personal-data catalogue proposals")


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        pytest.param(["--sample", "0"], ConfigError, id="sample-out-of-range"),
        pytest.param(["--catalogue", "/nonexistent.toml"], ConfigError, id="missing-catalogue"),
    ],
)
def test_refusals(built: str, tmp_path: Path, argv: list[str], error: type[Exception]) -> None:
    args = scan_args("--upstream", built, "--out", str(tmp_path / "p.toml"), *argv)
    with pytest.raises(error):
        args.run(args)
    assert not (tmp_path / "p.toml").exists()


def test_an_unreachable_database_is_reported_as_such(tmp_path: Path) -> None:
    args = scan_args(
        "--upstream", "postgresql://nobody@127.0.0.1:1/none", "--out", str(tmp_path / "p.toml")
    )
    with pytest.raises(UpstreamUnavailable, match="cannot connect"):
        args.run(args)
    assert not (tmp_path / "p.toml").exists()
