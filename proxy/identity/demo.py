"""The demo principals: fixed, public tokens for `palata-proxy demo` and nothing else.

Their digests live in `policies/demo/principals.toml`. Because the tokens are printed and
documented, `serve` refuses a principals file that contains any of them.
"""

from __future__ import annotations

from pathlib import Path

from proxy.errors import AuthenticationFailed, ConfigError
from proxy.identity.principals import PrincipalDirectory, token_digest

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
    public = {token_digest(token) for token in DEMO_TOKENS.values()}
    exposed = sorted(name for name, digest in principals.digests.items() if digest in public)
    if exposed:
        raise ConfigError(
            f"principals file {source}: '{exposed[0]}' uses a public demo token; "
            "give it a token of its own (demo principals belong to `palata-proxy demo` only)"
        )
