"""Reading the word lists shipped in proxy/synth/data/ (names, streets, regions, templates).

Each list is read once per process and cached; lines starting with '#' are comments and
`[section]` lines split a file into named parts.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


def _text(name: str) -> str:
    return (
        resources.files("proxy.synth").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    )


@cache
def lines(name: str) -> tuple[str, ...]:
    """Non-empty, non-comment lines of a data file, in file order."""
    out = []
    for raw in _text(name).splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return tuple(out)


@cache
def sections(name: str) -> dict[str, tuple[str, ...]]:
    """The `[section]` parts of a data file, each a tuple of its lines."""
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines(name):
        if line.startswith("[") and line.endswith("]"):
            current = parts.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line)
    return {key: tuple(value) for key, value in parts.items()}


@cache
def rows(name: str) -> tuple[tuple[str, ...], ...]:
    """Lines of a data file split on '|'."""
    return tuple(tuple(line.split("|")) for line in lines(name))
