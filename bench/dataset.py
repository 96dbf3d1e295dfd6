"""Data sets at a given scale: find, wait for, or generate them; run the PostgreSQL cluster.

Layout under the data root (``--data-root``, default /work/benchdata):
  sqlite-<label>/portal.sqlite3     PORTAL_DATA_DIR of the SQLite data set
  pg-<label>/                       PostgreSQL data directory (owned by postgres), database ``portal``
  pg-<label>-appdata/               PORTAL_DATA_DIR for PostgreSQL runs (secret key only)
where <label> is 1.7m for 1,700,000 subjects (bench.util.scale_label).

Generation uses the project's own command, ``python -m portal demo-data --subjects N --seed 1``.
If somebody else is generating a data set right now (a ``demo-data`` process that writes to it),
we wait for it to finish instead of reading a half-written database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bench.util import ROOT, log, port_in_use, scale_label

PG_USERS = ("portal", "postgres")
GENERATE_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=8GB"
PG_DB = "portal"


# --------------------------------------------------------------------------------------------
# Other people's generators
# --------------------------------------------------------------------------------------------


def _demo_data_pids() -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-f", "demo-data"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    me = {os.getpid(), os.getppid()}
    return [int(p) for p in out.split() if p.strip().isdigit() and int(p) not in me]


def _proc_env(pid: int) -> dict[str, str] | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    env = {}
    for item in raw.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode(errors="replace")] = v.decode(errors="replace")
    return env


def _proc_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _writes_to(pid: int, engine: str, target: Path, pg_port: int | None) -> bool:
    """Could process `pid` (a demo-data run) be writing to this data set? Unknown -> True."""
    env = _proc_env(pid)
    if env is None:
        return Path(f"/proc/{pid}").exists()  # unreadable but alive: assume the worst
    url = env.get("DATABASE_URL")
    if engine == "sqlite":
        if url:
            return False
        data_dir = env.get("PORTAL_DATA_DIR")
        if not data_dir:
            return False  # the checkout's own ./data
        try:
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            cwd = ROOT
        return (cwd / data_dir).resolve() == target.resolve()
    if not url:
        return False
    if pg_port is None:
        return True  # we don't know which cluster it talks to
    parsed = urlparse(url)
    return (parsed.port or 5432) == pg_port


def wait_for_generators(engine: str, target: Path, pg_port: int | None = None, poll: float = 15.0) -> None:
    """Block while a demo-data process that may be writing to `target` is running."""
    announced = False
    while True:
        busy = [p for p in _demo_data_pids() if _writes_to(p, engine, target, pg_port)]
        if not busy:
            if announced:
                log(f"{target}: generator finished")
            return
        if not announced:
            log(
                f"{target}: waiting for a running demo-data process to finish "
                f"(pid {', '.join(map(str, busy))}: {_proc_cmdline(busy[0])[:120]})"
            )
            announced = True
        time.sleep(poll)


def _run_logged(cmd: list[str], env: dict, logfile: Path, what: str) -> None:
    log(f"{what}: {' '.join(cmd[1:])} (log: {logfile})")
    start = time.monotonic()
    with logfile.open("ab") as fh:
        rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        tail = logfile.read_text(errors="replace")[-3000:]
        raise SystemExit(f"bench: {what} failed (exit {rc}); last output:\n{tail}")
    log(f"{what}: done in {time.monotonic() - start:.0f}s")


def _generate(env: dict, subjects: int, logfile: Path) -> None:
    _run_logged([sys.executable, "-m", "portal", "migrate"], env, logfile, "migrate")
    _run_logged(
        [sys.executable, "-m", "portal", "demo-data", "--subjects", str(subjects), "--seed", "1"],
        env,
        logfile,
        f"demo-data --subjects {subjects}",
    )


# --------------------------------------------------------------------------------------------
# SQLite
# --------------------------------------------------------------------------------------------


def _sqlite_subjects(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute("SELECT max(id) FROM subject").fetchone()[0] or 0
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@dataclass
class Dataset:
    engine: str
    subjects: int
    location: Path
    env: dict[str, str]
    generated: bool = False
    cluster: PgCluster | None = None
    notes: list[str] = field(default_factory=list)

    def roots(self) -> tuple[int, ...]:
        """Processes outside our own tree that serve the benchmark (the postmaster)."""
        pid = self.cluster.postmaster_pid() if self.cluster else None
        return (pid,) if pid else ()

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop_if_ours()


def _base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PORTAL_DATA_DIR", "PORTAL_PG_POOL_SIZE", "PICCOLO_CONF")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def ensure_sqlite(data_root: Path, subjects: int) -> Dataset:
    target = data_root / f"sqlite-{scale_label(subjects)}"
    db = target / "portal.sqlite3"
    env = _base_env() | {"PORTAL_DATA_DIR": str(target)}
    generated = False
    wait_for_generators("sqlite", target)
    if _sqlite_subjects(db) == 0:
        wait_for_generators("sqlite", target)
        if _sqlite_subjects(db) == 0:
            target.mkdir(parents=True, exist_ok=True)
            _generate(env, subjects, data_root / f"sqlite-{scale_label(subjects)}.generate.log")
            generated = True
    _wait_stable(lambda: _sqlite_subjects(db), str(target))
    return Dataset("sqlite", subjects, target, env, generated=generated)


def _wait_stable(count, what: str, pause: float = 3.0) -> None:
    """A last guard against a writer we could not see: the row count must hold still."""
    before = count()
    while True:
        time.sleep(pause)
        after = count()
        if after == before:
            return
        log(f"{what}: still growing ({before} -> {after} subjects); waiting")
        before = after
        time.sleep(10)


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def pg_bindir() -> Path:
    candidates = [Path("/usr/lib/postgresql/15/bin")]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for d in candidates:
        if (d / "pg_ctl").exists() and (d / "initdb").exists():
            return d
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise SystemExit("bench: PostgreSQL server binaries not found (apt-get install -y postgresql)")


def _as_postgres(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, cwd="/", capture_output=True, text=True, **kw)


@dataclass
class PgCluster:
    datadir: Path
    port: int
    user: str = "portal"
    ours: bool = False
    logfile: Path | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{PG_DB}"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    @staticmethod
    def running_port(datadir: Path) -> int | None:
        """Port of the postmaster serving `datadir`, if one is alive."""
        try:
            lines = (datadir / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return port

    def start(self, extra_options: str = "") -> None:
        bindir = pg_bindir()
        self.logfile = Path(f"/tmp/portal-bench-{self.datadir.parent.name}-{self.datadir.name}.log")
        if self.logfile.exists() and os.geteuid() == 0:
            shutil.chown(self.logfile, "postgres")
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.datadir} {extra_options}".strip()
        r = _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-l",
                str(self.logfile),
                "-w",
                "-t",
                "300",
                "-o",
                opts,
                "start",
            ],
            timeout=330,
        )
        if r.returncode != 0:
            tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise SystemExit(f"bench: pg_ctl start failed for {self.datadir}:\n{r.stdout}{r.stderr}\n{tail}")
        self.ours = True
        log(f"PostgreSQL started: {self.datadir} on 127.0.0.1:{self.port} ({opts})")

    def stop_if_ours(self) -> None:
        if not self.ours:
            return
        r = _as_postgres(
            [str(pg_bindir() / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "-t", "120", "stop"], timeout=150
        )
        if r.returncode != 0:
            log(f"WARNING: pg_ctl stop failed for {self.datadir}: {r.stderr.strip()}")
        else:
            log(f"PostgreSQL stopped: {self.datadir}")
        self.ours = False


async def _pg_fetch(port: int, user: str, sql: str, database: str = PG_DB):
    import asyncpg

    con = await asyncpg.connect(host="127.0.0.1", port=port, user=user, database=database, timeout=10)
    try:
        return await con.fetch(sql)
    finally:
        await con.close()


def pg_query(port: int, user: str, sql: str, database: str = PG_DB):
    return asyncio.run(_pg_fetch(port, user, sql, database))


def _pg_user(port: int) -> str | None:
    """A role we can log in as (trust auth): the project's recipe makes `portal` the superuser."""
    for user in PG_USERS:
        try:
            pg_query(port, user, "SELECT 1", database="postgres")
            return user
        except Exception:
            continue
    return None


def _pg_subjects(port: int, user: str) -> int:
    try:
        return pg_query(port, user, "SELECT coalesce(max(id), 0) AS n FROM subject")[0]["n"]
    except Exception:
        return 0


def _initdb(datadir: Path) -> None:
    datadir.parent.mkdir(parents=True, exist_ok=True)
    datadir.mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres", "postgres")
    # C.UTF-8 so that pg_trgm extracts trigrams from Chinese text (as tests/run-all.sh does).
    r = _as_postgres(
        [
            str(pg_bindir() / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "portal",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        timeout=300,
    )
    if r.returncode != 0:
        raise SystemExit(f"bench: initdb failed for {datadir}:\n{r.stdout}{r.stderr}")


def ensure_postgres(data_root: Path, subjects: int, port: int, server_options: str) -> Dataset:
    label = scale_label(subjects)
    datadir = data_root / f"pg-{label}"
    appdata = data_root / f"pg-{label}-appdata"
    appdata.mkdir(parents=True, exist_ok=True)
    generated = False
    notes: list[str] = []

    if datadir.exists() and not (datadir / "PG_VERSION").exists():
        log(f"{datadir}: exists but has no PG_VERSION yet (initdb running?); waiting")
        for _ in range(120):
            if (datadir / "PG_VERSION").exists():
                break
            time.sleep(5)

    running = PgCluster.running_port(datadir) if datadir.exists() else None
    if running is not None:
        # Somebody else's postmaster (maybe still loading): use it as it is, never stop it.
        cluster = PgCluster(datadir, running)
        notes.append(f"cluster was already running on port {running}; left running")
        log(f"{datadir}: already running on port {running}; using it")
        wait_for_generators("postgres", datadir, running)
    else:
        if not datadir.exists():
            _initdb(datadir)
        if port_in_use(port):
            raise SystemExit(f"bench: port {port} is in use; choose another with --pg-port")
        cluster = PgCluster(datadir, port)
        cluster.start(server_options)

    user = _pg_user(cluster.port)
    if user is None:
        cluster.stop_if_ours()
        raise SystemExit(f"bench: cannot log in to the cluster in {datadir} as any of {PG_USERS}")
    cluster.user = user
    env = _base_env() | {"DATABASE_URL": cluster.url, "PORTAL_PG_POOL_SIZE": "10", "PORTAL_DATA_DIR": str(appdata)}

    if _pg_subjects(cluster.port, user) == 0:
        wait_for_generators("postgres", datadir, cluster.port)
    if _pg_subjects(cluster.port, user) == 0:
        dbs = [
            r["datname"] for r in pg_query(cluster.port, user, "SELECT datname FROM pg_database", database="postgres")
        ]
        if PG_DB not in dbs:
            pg_query(cluster.port, user, f"CREATE DATABASE {PG_DB}", database="postgres")
        try:
            if cluster.ours:
                # Bulk load: durability off while loading (a crash means regenerating anyway).
                cluster.stop_if_ours()
                cluster.start(f"{server_options} {GENERATE_OPTIONS}")
            _generate(env, subjects, data_root / f"pg-{label}.generate.log")
            pg_query(cluster.port, user, "CHECKPOINT")
            if cluster.ours:
                cluster.stop_if_ours()
                cluster.start(server_options)
        except BaseException:
            cluster.stop_if_ours()
            raise
        generated = True
    _wait_stable(lambda: _pg_subjects(cluster.port, user), str(datadir))
    return Dataset("postgres", subjects, datadir, env, generated=generated, cluster=cluster, notes=notes)
