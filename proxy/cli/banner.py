"""What the demo prints once it is ready: where to connect, who to be, what to try."""

from __future__ import annotations

import shlex

from proxy.config import Settings
from proxy.errors import AuthenticationFailed
from proxy.identity.principals import PrincipalDirectory
from proxy.synth import DatasetReport

# The demo principals' tokens. `policies/principals.toml` holds only their SHA-256; the banner
# shows a token only if it really authenticates as that principal, so it cannot go stale.
DEMO_TOKENS = {
    "collector": "palata-demo-collector",
    "hr_officer": "palata-demo-hr",
    "dpo": "palata-demo-dpo",
    "security_analyst": "palata-demo-security",
}

EXAMPLE_SQL = "SELECT id, region, debt_amount FROM debtors ORDER BY id LIMIT 5"


def demo_banner(
    settings: Settings, principals: PrincipalDirectory, dataset: DatasetReport, reused: bool
) -> str:
    base = f"http://{settings.http.host}:{settings.http.port}"
    how = "reused" if reused else f"built in {dataset.seconds:.1f} s"
    lines = [
        "",
        "Palata proxy demo is running.",
        f"  HTTP door   {base}  (GET /healthz, /readyz, /metrics; POST /v1/query)",
        f"  Database    embedded PostgreSQL in {settings.demo.data_dir / 'pgdata'}, "
        f"database '{settings.demo.database}': {dataset.debtors:,} debtors, "
        f"{dataset.total_rows:,} rows, seed {dataset.seed} ({how})",
        "  Principals  (send 'Authorization: Bearer <token>')",
    ]
    for name, token in _working_tokens(principals).items():
        principal = principals.principals[name]
        lines.append(
            f"    {name:<18} token {token:<24} roles {', '.join(principal.roles)}; "
            f"purposes {', '.join(principal.purposes)}"
        )
    collector = DEMO_TOKENS["collector"]
    body = shlex.quote(f'{{"sql": "{EXAMPLE_SQL}"}}')
    lines += [
        "  Try",
        f"    curl -s {base}/v1/whoami -H 'Authorization: Bearer {collector}'",
        f"    curl -s {base}/v1/query -H 'Authorization: Bearer {collector}' "
        f"-H 'Content-Type: application/json' -d {body}",
        "  Ctrl-C stops the proxy and the database.",
    ]
    return "\n".join(lines)


def _working_tokens(principals: PrincipalDirectory) -> dict[str, str]:
    working = {}
    for name, token in DEMO_TOKENS.items():
        try:
            if principals.authenticate(token).name == name:
                working[name] = token
        except AuthenticationFailed:
            continue
    return working
