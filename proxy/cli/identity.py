"""Who may connect: loading principals and trusted token issuers for `serve` and `demo`, and
`palata-proxy identity scram`, which turns a password into the `scram_sha256` verifier a
principal needs to log in through the PostgreSQL door.

The password is read from standard input (or asked for twice when that is a terminal), never
from the command line, so it stays out of `ps` and shell history; only the verifier is printed.
"""

from __future__ import annotations

import argparse
import sys
from getpass import getpass
from pathlib import Path
from typing import TextIO

from proxy.config import Settings
from proxy.errors import ConfigError
from proxy.identity.jwt_tokens import JwtVerifier
from proxy.identity.principals import PrincipalDirectory
from proxy.identity.scram import make_verifier
from proxy.pgwire.auth import DEFAULT_ITERATIONS


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("identity", help="credentials of principals")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    scram = verbs.add_parser(
        "scram",
        help="make a principal's scram_sha256 verifier from a password read on stdin",
        description="Reads the password from standard input (prompts when it is a terminal) "
        "and prints the line to paste into the principal's table in principals.toml.",
    )
    scram.add_argument(
        "--iterations",
        type=int,
        default=DEFAULT_ITERATIONS,
        metavar="N",
        help=f"PBKDF2 iterations ({DEFAULT_ITERATIONS}, PostgreSQL's default)",
    )
    scram.set_defaults(run=run_scram)


def run_scram(args: argparse.Namespace) -> int:
    password = _ask_password() if sys.stdin.isatty() else _read_password(sys.stdin)
    print(f'scram_sha256 = "{make_verifier(password, args.iterations)}"')
    return 0


def _ask_password() -> str:
    password = getpass("Password: ")
    if getpass("Again: ") != password:
        raise ConfigError("the two passwords differ")
    return password


def _read_password(stream: TextIO) -> str:
    """One line; its line break is not part of the password (`echo` adds one, `printf %s` not)."""
    text = stream.read()
    password = text.removesuffix("\n").removesuffix("\r")
    if "\n" in password or "\r" in password:
        raise ConfigError("standard input holds more than one line; give the password alone")
    return password


def token_verifier(settings: Settings, principals: PrincipalDirectory) -> JwtVerifier:
    """The apps whose end-user JWTs are trusted; none unless `policies.token_issuers` is set."""
    path: Path | None = settings.policies.token_issuers
    return JwtVerifier.from_file(path, principals) if path is not None else JwtVerifier(())


def role_sets(principals: PrincipalDirectory) -> list[tuple[str, ...]]:
    """The role combinations principals hold (each needs a database role of its own)."""
    combined = {tuple(sorted(set(p.roles))) for p in principals.principals.values()}
    return sorted(roles for roles in combined if len(roles) > 1)
