"""What the demo prints once it is ready: where to connect, who to be, what to try."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from proxy.config import Settings
from proxy.identity.demo import DEMO_TOKENS, working_demo_tokens
from proxy.identity.principals import PrincipalDirectory

if TYPE_CHECKING:
    from proxy.synth import DatasetReport

COMPLAINTS_SQL = "SELECT id, status, text FROM complaints ORDER BY id LIMIT 3"
EXAMPLE_SQL = (
    "SELECT id, iin, last_name, phone, region, debt_amount FROM debtors ORDER BY id LIMIT 3"
)


def demo_banner(
    settings: Settings,
    principals: PrincipalDirectory,
    database: str,
    dataset: DatasetReport,
    reused: bool,
) -> str:
    base = f"http://{settings.http.host}:{settings.http.port}"
    how = "reused" if reused else f"built in {dataset.seconds:.1f} s"
    lines = [
        "",
        "Palata proxy demo is running.",
        f"  HTTP door   {base}  (GET /healthz, /readyz, /metrics, /v1/whoami; POST /v1/query)",
        f"  Database    {database}: {dataset.debtors:,} debtors, {dataset.total_rows:,} rows, "
        f"seed {dataset.seed} ({how})",
        "  Principals  (send 'Authorization: Bearer <token>')",
    ]
    for name, token in working_demo_tokens(principals).items():
        principal = principals.principals[name]
        lines.append(
            f"    {name:<18} token {token:<24} roles {', '.join(principal.roles)}; "
            f"purposes {', '.join(principal.purposes)}"
        )
    body = shlex.quote(f'{{"sql": "{EXAMPLE_SQL}"}}')
    lines += [
        "  Try (the same query masked for a collector, in clear for the DPO)",
        f"    curl -s {base}/v1/whoami -H 'Authorization: Bearer {DEMO_TOKENS['collector']}'",
    ]
    for name in ("collector", "dpo"):
        lines.append(
            f"    curl -s {base}/v1/query -H 'Authorization: Bearer {DEMO_TOKENS[name]}' -d {body}"
        )
    complaints = shlex.quote(f'{{"sql": "{COMPLAINTS_SQL}"}}')
    lines += [
        "  and complaint texts as a collector reads them, personal data redacted",
        f"    curl -s {base}/v1/query -H 'Authorization: Bearer {DEMO_TOKENS['collector']}' "
        f"-d {complaints}",
    ]
    if settings.pgwire.port is not None:
        wire = (
            f"host={settings.pgwire.host} port={settings.pgwire.port} user=collector "
            f"dbname={settings.pgwire.database or settings.demo.database}"
        )
        lines += [
            "  Wire door (any PostgreSQL client; the password is the principal's token)",
            f"    PGPASSWORD={DEMO_TOKENS['collector']} psql {shlex.quote(wire)} "
            f"-c {shlex.quote(EXAMPLE_SQL)}",
        ]
    lines += [
        "  Ctrl-C stops the proxy and the database.",
    ]
    return "\n".join(lines)
