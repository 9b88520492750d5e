"""The demo principals: fixed, public tokens for `palata-proxy demo` and nothing else.

Their digests live in `policies/demo/principals.toml`, with SCRAM verifiers of the same tokens so
`psql` logs in with a token as its password. Because the tokens are printed and documented,
`serve` refuses a principals file that holds any of them, as a digest or as a verifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from proxy.errors import AuthenticationFailed, ConfigError
from proxy.identity.principals import PrincipalDirectory, token_digest
from proxy.identity.scram import verifies

DEMO_PRINCIPALS_FILE = Path("demo") / "principals.toml"

DEMO_TOKENS = {
    "collector": "palata-demo-collector",
    "hr_officer": "palata-demo-hr",
    "dpo": "palata-demo-dpo",
    "security_analyst": "palata-demo-security",
}


def working_demo_tokens(principals: PrincipalDirectory) -> dict[str, str]:
    """The demo tokens that really authenticate as their principal (so a banner cannot lie)."""
    working = {}
    for name, token in DEMO_TOKENS.items():
        try:
            if principals.authenticate(token).name == name:
                working[name] = token
        except AuthenticationFailed:
            continue
    return working


def refuse_demo_tokens(principals: PrincipalDirectory, source: Path) -> None:
    """Stop a start whose principals file lets a public demo token in, by either door."""
    public = {token_digest(token) for token in DEMO_TOKENS.values()}
    exposed = sorted(name for name, digest in principals.digests.items() if digest in public)
    if exposed:
        _refuse(source, exposed[0], "uses a public demo token", "a token")
    for name in sorted(principals.principals):
        credential = principals.scram_credential(name)
        if credential is not None and any(verifies(credential, t) for t in DEMO_TOKENS.values()):
            _refuse(source, name, "has a SCRAM verifier of a public demo token", "a password")


def _refuse(source: Path, name: str, what: str, own: str) -> NoReturn:
    raise ConfigError(
        f"principals file {source}: '{name}' {what}; give it {own} of its own "
        "(demo principals belong to `palata-proxy demo` only)"
    )
