"""Benchmark: pgbench's select-only script through the wire door vs straight to PostgreSQL.

It sits beside the data path, not in it: it makes a scratch database, fills it with `pgbench -i`,
writes a policy folder in which one principal, `bench`, reads every pgbench table in clear (an
empty catalogue: no personal data, so nothing is masked and no tripwire scans), provisions the
principal's database role, starts the real `palata-proxy serve` with the wire door open and a
bare TCP relay (`bench.bare_relay`, the ceiling of any one-event-loop Python relay here) and runs
`pgbench -S` at each client count and protocol mode (`-M simple/extended/prepared`), directly,
through the bare relay and through the door. Then it holds `--idle` idle connections through the
door at once and reports the proxy process's resident memory per connection. The proxy and the
relay are stopped, the database dropped and the provisioned roles removed at the end, Ctrl-C
included.
Run from the repository: `.venv/bin/python -m bench.pgbench_door --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil  # type: ignore[import-untyped]  # no stubs in the dev extras

from bench.harness import (
    REPO,
    BenchError,
    ServingProxy,
    add_upstream_argument,
    create_database,
    drop_database,
    running_wire_proxy,
    scratch_dsn,
    stop_process,
    unused_port,
)
from proxy.identity.scram import make_verifier

PRINCIPAL, PASSWORD, PURPOSE = "bench", "bench-secret", "benchmark"
AUDIT_KEY = "pgbench-door-benchmark-audit-key-not-a-secret-0123"  # a scratch trail's key
MODES = ("simple", "extended", "prepared")
TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)
FAILED = re.compile(r"^number of failed transactions: (\d+)", re.MULTILINE)
CONNECTS_AT_ONCE = 50  # idle connections opened concurrently (each runs a SCRAM login)


# -- the stage: pgbench's tables, a policy that lets `bench` read them, the proxy's settings ---


POLICY_CSV = f"""\
# The benchmark's principal reads every pgbench table, every column, in clear; nothing else.
p, {PRINCIPAL}, public.pgbench_*.*, select, {PURPOSE}, allow, allow, 100
# ... and the system tables of the query pgbench sends at start to learn whether
# pgbench_accounts is partitioned (refused, pgbench assumes it is not and goes on, but the run
# would then hold one refusal per pgbench invocation).
p, {PRINCIPAL}, pg_catalog.pg_class.*, select, {PURPOSE}, allow, allow, 100
p, {PRINCIPAL}, pg_catalog.pg_namespace.*, select, {PURPOSE}, allow, allow, 100
p, {PRINCIPAL}, pg_catalog.pg_partitioned_table.*, select, {PURPOSE}, allow, allow, 100
p, {PRINCIPAL}, pg_catalog.pg_inherits.*, select, {PURPOSE}, allow, allow, 100
"""

# No personal data in pgbench's tables: an empty catalogue classifies no column, so the
# principal "sees all personal data" (there is none) and no output is scanned by the tripwire.
CATALOGUE_TOML = "# pgbench's tables hold no personal data.\n"
ROW_FILTERS_TOML = "# No row filters: the benchmark's principal sees every row.\n"


def principals_toml() -> str:
    token = hashlib.sha256(PASSWORD.encode()).hexdigest()
    return (
        f"[{PRINCIPAL}]\n"
        f'roles = ["{PRINCIPAL}"]\n'
        f'purposes = ["{PURPOSE}"]\n'
        f'default_purpose = "{PURPOSE}"\n'
        f'token_sha256 = "{token}"\n'
        f'scram_sha256 = "{make_verifier(PASSWORD)}"\n'
    )


def write_stage(folder: Path, database: str, role_prefix: str) -> Path:
    """The policy folder and proxy.toml in `folder`; the settings file's path."""
    policies = folder / "policies"
    policies.mkdir()
    (policies / "principals.toml").write_text(principals_toml(), encoding="utf-8")
    (policies / "policy.csv").write_text(POLICY_CSV, encoding="utf-8")
    (policies / "catalogue.toml").write_text(CATALOGUE_TOML, encoding="utf-8")
    (policies / "row_filters.toml").write_text(ROW_FILTERS_TOML, encoding="utf-8")
    config = folder / "proxy.toml"
    config.write_text(
        f'[proxy]\ninstance = "palata-bench-pgbench"\n\n'
        f'[upstream]\nrole_prefix = "{role_prefix}"\n\n'
        f'[pgwire]\ndatabase = "{database}"\n\n'
        f'[policies]\ndir = "{policies}"\nmodel = "{REPO / "models.conf"}"\n\n'
        f'[audit]\nkey = "{AUDIT_KEY}"\nspool_dir = "{folder / "audit-spool"}"\n\n'
        # pgbench's tables hold no personal data: there is nothing for detection to watch
        "[detection]\nenabled = false\n",
        encoding="utf-8",
    )
    return config


def run_command(args: list[str], what: str, log: Path, env: dict[str, str] | None = None) -> str:
    """Run a command to its end; its output, or a BenchError naming `what` failed."""
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-1500:]
        raise BenchError(f"{what} exited with status {done.returncode}:\n{tail}")
    return done.stdout + done.stderr


async def drop_roles(admin_dsn: str, prefix: str) -> None:
    """The roles `provision` made for the scratch database (roles outlive databases)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        names = await conn.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", prefix
        )
        for row in names:
            await conn.execute(f'DROP ROLE IF EXISTS "{row["rolname"]}"')
    finally:
        await conn.close()


# -- the bare relay -----------------------------------------------------------------------------


@contextmanager
def running_bare_relay(admin_dsn: str, log: Path) -> Iterator[int]:
    """`bench.bare_relay` to the server of `admin_dsn` (over TCP), its port; in its own process
    and session, as the proxy is (its own core; a Ctrl-C at the terminal reaches the benchmark
    only), and stopped with SIGINT when the block ends."""
    port, server = unused_port(), urlsplit(admin_dsn)
    args = [sys.executable, "-m", "bench.bare_relay", "--listen-port", str(port)]
    args += ["--upstream-host", server.hostname or "127.0.0.1"]
    args += ["--upstream-port", str(server.port or 5432)]
    with log.open("w") as out:
        process = subprocess.Popen(
            args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_listening(process, log)
            yield port
        finally:
            stop_process(process)


def wait_until_listening(process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the relay has printed its `listening on` line (it has no /healthz to ask)."""
    deadline = time.monotonic() + 30
    while "listening on" not in log.read_text(errors="replace"):
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise BenchError(f"the bare relay exited with status {process.returncode}:\n{tail}")
        if time.monotonic() > deadline:
            raise BenchError(f"the bare relay did not listen within 30 s (log: {log})")
        time.sleep(0.1)


def relayed_dsn(dsn: str, port: int) -> str:
    """`dsn` with the relay's address for the server's and TLS off: the relay reads no TLS, and
    the same role and password pass through it to the server."""
    parts = urlsplit(dsn)
    userinfo, at, _ = parts.netloc.rpartition("@")
    query = "&".join(filter(None, [parts.query, "sslmode=disable"]))
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}127.0.0.1:{port}", query=query))


# -- pgbench ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    mode: str
    clients: int
    direct_tps: float
    bare_tps: float  # through the bare relay
    door_tps: float
    proxy_cpu: float  # the proxy process's CPU time over the door's run, in cores

    @property
    def bare_ratio(self) -> float:
        return self.bare_tps / self.direct_tps

    @property
    def door_ratio(self) -> float:
        return self.door_tps / self.direct_tps

    @property
    def door_to_bare(self) -> float:
        return self.door_tps / self.bare_tps


@dataclass(frozen=True)
class Targets:
    """Where pgbench connects: PostgreSQL, the bare relay, the door; and the proxy's process."""

    direct: str
    bare: str
    door: str
    proxy_pid: int


def pgbench(conninfo: str, mode: str, clients: int, seconds: float, env: dict[str, str]) -> float:
    """`pgbench -S` for `seconds`; its tps without connection time, or a BenchError."""
    threads = min(clients, 2)
    args = ["pgbench", "-n", "-S", "-M", mode, "-c", str(clients), "-j", str(threads)]
    args += ["-T", str(max(1, round(seconds))), conninfo]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    tps, failed = TPS.search(output), FAILED.search(output)
    if done.returncode != 0 or tps is None or (failed is not None and int(failed[1]) != 0):
        raise BenchError(
            f"pgbench -M {mode} -c {clients} failed ({done.returncode}):\n{output[-1500:]}"
        )
    return float(tps[1])


def pgbench_env(password: str | None) -> dict[str, str]:
    """The caller's environment (the admin DSN may rely on its PGPASSWORD, as asyncpg does), with
    the door's password when given; the door's conninfo names everything else."""
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    return env


def door_conninfo(proxy: ServingProxy, database: str) -> str:
    return f"host=127.0.0.1 port={proxy.pg_port} user={PRINCIPAL} dbname={database} sslmode=disable"


def pgbench_runs(targets: Targets, options: argparse.Namespace) -> list[Run]:
    """Each mode and client count, one run after the other. A statement the door refuses fails
    pgbench with the proxy's reason and audit record id."""
    runs = []
    for mode in options.modes:
        for clients in options.clients:
            print(f"pgbench -M {mode} -c {clients} ...", file=sys.stderr, flush=True)
            runs.append(one_run(targets, mode, clients, options.seconds))
    return runs


def one_run(targets: Targets, mode: str, clients: int, seconds: float) -> Run:
    """Directly, through the bare relay (the caller's login passes through it), then the door."""
    direct = pgbench(targets.direct, mode, clients, seconds, pgbench_env(None))
    bare = pgbench_through("the bare relay", targets.bare, mode, clients, seconds, None)
    cpu, wall = busy_seconds(targets.proxy_pid), time.monotonic()
    door = pgbench_through("the door", targets.door, mode, clients, seconds, PASSWORD)
    cores = (busy_seconds(targets.proxy_pid) - cpu) / (time.monotonic() - wall)
    return Run(mode, clients, direct, bare, door, cores)


def pgbench_through(
    what: str, conninfo: str, mode: str, clients: int, seconds: float, password: str | None
) -> float:
    try:
        return pgbench(conninfo, mode, clients, seconds, pgbench_env(password))
    except BenchError as exc:
        raise BenchError(f"through {what}: {exc}") from None


def busy_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


# -- idle connections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Idle:
    wanted: int
    held: int
    errors: Counter[str]  # by error text
    rss_before: int
    rss_after: int
    backends: int  # upstream backends of the scratch database while they were held
    max_connections: int  # the server's: a door holding a backend per client would hit it

    @property
    def per_connection(self) -> float:
        return (self.rss_after - self.rss_before) / self.held if self.held else float("nan")


async def hold_idle(proxy: ServingProxy, admin_dsn: str, database: str, count: int) -> Idle:
    """`count` connections through the door at once, logged in and left idle; RSS around them."""
    process = psutil.Process(proxy.pid)
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def connect() -> asyncpg.Connection:
        async with gate:
            return await asyncpg.connect(
                host="127.0.0.1",
                port=proxy.pg_port,
                user=PRINCIPAL,
                password=PASSWORD,
                database=database,
                ssl=False,
                timeout=60,
            )

    # opened first: once the door's sessions fill max_connections, no admin login gets in
    admin = await asyncpg.connect(admin_dsn)
    try:
        await asyncio.sleep(1)  # let the pgbench sessions' teardown settle
        before = process.memory_info().rss
        outcomes = await asyncio.gather(*(connect() for _ in range(count)), return_exceptions=True)
        conns = [c for c in outcomes if isinstance(c, asyncpg.Connection)]
        try:
            await asyncio.sleep(2)
            after = process.memory_info().rss
            errors = Counter(
                f"{type(e).__name__}: {e}" for e in outcomes if isinstance(e, BaseException)
            )
            errors.update("closed while idle" for c in conns if c.is_closed())
            held = sum(not c.is_closed() for c in conns)
            sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
            backends = int(await admin.fetchval(sql, database))
            limit = int(await admin.fetchval("SHOW max_connections"))
        finally:
            await asyncio.gather(*(c.close(timeout=10) for c in conns), return_exceptions=True)
    finally:
        await admin.close()
    return Idle(count, held, errors, before, after, backends, limit)


# -- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    runs: list[Run]
    idle: Idle


def measure(
    proxy: ServingProxy, targets: Targets, database: str, options: argparse.Namespace
) -> Results:
    runs = pgbench_runs(targets, options)
    print(f"holding {options.idle} idle connections ...", file=sys.stderr, flush=True)
    idle = asyncio.run(hold_idle(proxy, options.upstream, database, options.idle))
    return Results(runs, idle)


TABLE_HEAD = (
    f"{'mode':10} {'clients':>7} {'direct tps':>11} {'bare tps':>9} {'door tps':>9} "
    f"{'bare/direct':>11} {'door/direct':>11} {'door/bare':>9} {'proxy CPU':>9}"
)


def table_row(r: Run) -> str:
    return (
        f"{r.mode:10} {r.clients:7} {r.direct_tps:11,.0f} {r.bare_tps:9,.0f} {r.door_tps:9,.0f} "
        f"{r.bare_ratio:11.3f} {r.door_ratio:11.3f} {r.door_to_bare:9.3f} {r.proxy_cpu:9.0%}"
    )


def ratio_lines(runs: list[Run], modes: tuple[str, ...]) -> list[str]:
    lines = []
    for mode in modes:
        of_mode = [r for r in runs if r.mode == mode]
        door = ", ".join(f"{r.clients} clients {r.door_ratio:.3f}" for r in of_mode)
        bare = ", ".join(f"{r.clients} clients {r.door_to_bare:.3f}" for r in of_mode)
        lines += [f"ratio door/direct, -M {mode}: {door}", f"ratio door/bare, -M {mode}: {bare}"]
    return lines


def report(results: Results, options: argparse.Namespace) -> str:
    lines = [
        f"pgbench -S (select-only), scale {options.scale}, {options.seconds:g} s per run; "
        "tps without initial connection time; bare: through bench.bare_relay, a Python relay "
        "copying bytes and doing nothing else; proxy CPU: the proxy process's CPU time during "
        "the door's run, in % of one core (its event loop runs on one)",
        TABLE_HEAD,
        *(table_row(r) for r in results.runs),
        *ratio_lines(results.runs, options.modes),
    ]
    idle = results.idle
    mib = 1024 * 1024
    lines += [
        f"idle connections through the door: {idle.held} of {idle.wanted} held at once "
        f"({idle.backends} PostgreSQL backends on the database meanwhile; the server's "
        f"max_connections: {idle.max_connections})",
        f"proxy RSS {idle.rss_before / mib:.1f} MiB before, {idle.rss_after / mib:.1f} MiB with "
        f"them: {idle.per_connection / 1024:.1f} KiB per idle connection",
        *(f"  {n} x {text}" for text, n in idle.errors.most_common()),
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_upstream_argument(parser, "create databases and roles")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per pgbench run")
    parser.add_argument(
        "--clients", type=_counts, default=(1, 8, 32), help="client counts (default: 1,8,32)"
    )
    parser.add_argument(
        "--modes", type=_modes, default=MODES, help="pgbench -M modes (default: all three)"
    )
    parser.add_argument("--scale", type=int, default=1, help="pgbench -i scale factor")
    parser.add_argument("--idle", type=int, default=500, help="idle connections held at once")
    return parser.parse_args(argv)


def _counts(text: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in text.split(","))
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("client counts are positive integers")
    return counts


def _modes(text: str) -> tuple[str, ...]:
    modes = tuple(part.strip() for part in text.split(","))
    if not set(modes) <= set(MODES):
        raise argparse.ArgumentTypeError(f"modes are among {', '.join(MODES)}")
    return modes


def run(options: argparse.Namespace) -> Results:
    database = f"palata_bench_{os.getpid()}"
    role_prefix = f"palata_bench_{os.getpid()}_"
    dsn = scratch_dsn(options.upstream, database)
    try:
        asyncio.run(create_database(options.upstream, database))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            init = ["pgbench", "-i", "-n", "-q", "-s", str(options.scale), dsn]
            run_command(init, "pgbench -i", folder / "init.log", pgbench_env(None))
            config = write_stage(folder, database, role_prefix)
            provision = [sys.executable, "-m", "proxy", "provision", "--config", str(config)]
            run_command([*provision, "--upstream", dsn], "provision", folder / "provision.log")
            with (
                running_wire_proxy(config, dsn, folder / "serve.log") as proxy,
                running_bare_relay(options.upstream, folder / "bare_relay.log") as relay_port,
            ):
                door = door_conninfo(proxy, database)
                targets = Targets(dsn, relayed_dsn(dsn, relay_port), door, proxy.pid)
                return measure(proxy, targets, database, options)
    finally:
        asyncio.run(drop_database(options.upstream, database))
        asyncio.run(drop_roles(options.upstream, role_prefix))


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        results = run(options)
    except BenchError as exc:
        print(f"pgbench_door: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "pgbench_door: interrupted; the proxy and the relay are stopped, the database and "
            "roles dropped",
            file=sys.stderr,
        )
        return 130
    print(report(results, options))
    if results.idle.errors or results.idle.held != results.idle.wanted:
        print(
            f"pgbench_door: {results.idle.wanted - results.idle.held} idle connections failed",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
