"""A large, realistic audit log with a valid hash chain, for the audit benchmarks (bench/BENCH.md).

The entries are made here, deterministically from a seed, and hashed with ``audit.chain.entry_hash``
(the store's own canonical encoding), numbered and counted exactly like ``chain.build_batch``:
contiguous seq from 1, ``created_at`` increasing, ``subject_query_count`` = the subject's allowed
entries so far, ``subject_counts`` and ``chain_head`` consistent with the entries. So
``python -m audit verify --full`` accepts the result, and appends continue the chain.

Loading: the store is created by the audit service's own ``migrate``; the secondary indexes are
dropped while loading and created again afterwards with the schema's own statements. SQLite:
``executemany`` in big transactions (synchronous=OFF while loading); PostgreSQL: ``COPY`` (text
format) into the partitioned ``entries``, with the monthly partitions the data needs, on a cluster
started with fsync off for the load and restarted with durable settings afterwards.

Data sets live under the data root (default /work/benchdata) and are reused:
  audit-sqlite-<label>/audit.sqlite3      AUDIT_DATA_DIR of the SQLite set
  pg-audit/                               PostgreSQL cluster, database ``audit_<label>``
  audit-<label>.json                      manifest: what was generated (checked before reuse)
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from audit.chain import GENESIS, STORED_COLUMNS, entry_hash
from audit.settings import AuditSettings
from bench.util import log, scale_label

GENERATOR_VERSION = 1
SUBJECTS_PER_ENTRY = 10  # 10M entries → 1M subjects
SPAN_DAYS = 360
CHUNK = 200_000

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_PLACES = "郑州 中原 金水 二七 管城 惠济 上街 巩义 荥阳 新密 新郑 登封 中牟 航空港".split()
_WORDS = "宏达 鑫源 华信 瑞丰 恒通 盛世 天成 锦程 博远 中诚 万通 永信 东方 豫通".split()
_TRADES = "建设工程 商贸 物流 科技 餐饮管理 汽车服务 医药 建材 物业服务 电子商务 农业开发".split()
_AGENCIES = [
    f"郑州市{n}"
    for n in (
        "市场监督管理局 发展和改革委员会 财政局 税务局 住房保障和城乡建设局 交通运输局 生态环境局 人力资源和社会保障局 "
        "卫生健康委员会 应急管理局 自然资源和规划局 公共资源交易中心 教育局 商务局 城市管理局 文化广电和旅游局 水利局 "
        "农业农村局 民政局 司法局 公安局 消防救援支队 医疗保障局 统计局 审计局 金融工作局 人民法院 人民检察院"
    ).split()
] + [
    f"{d}区{n}"
    for d in "金水 二七 中原 管城 惠济".split()
    for n in "市场监督管理局 住房和城乡建设局 应急管理局".split(" ")
]
_THIRD_PARTY_REASONS = [
    ("business_cooperation", "签订合同前了解交易对方信用状况"),
    ("financing", "融资、信贷业务审查"),
    ("credit_report", "出具信用报告"),
    ("procurement_bidding", "政府采购投标资格审查"),
]
_AGENCY_REASONS = [
    ("supervision_approval", "行政审批资质审核"),
    ("supervision_approval", "事中事后监管检查"),
    ("fiscal_funds", "财政资金申报审查"),
    ("awards_honours", "评优评先信用审查"),
    ("qualification", "资质认定材料核查"),
    ("procurement_bidding", "招投标信用核查"),
    ("major_decision", "重大决策事项信用审查"),
]
_CATEGORIES = ["administrative_penalty", "court_judgment", "tax_arrears", "social_security", "contract_breach"]
_METHODS = (("web_self", 30), ("third_party", 35), ("agency", 25), ("counter", 8), ("api", 2))


@dataclass(frozen=True)
class Spec:
    entries: int
    seed: int = 1
    end: str = ""  # ISO date the data ends at (default: when first generated, minus a day)

    @property
    def label(self) -> str:
        return scale_label(self.entries)

    def manifest(self) -> dict:
        return {"entries": self.entries, "seed": self.seed, "generator": GENERATOR_VERSION, "span_days": SPAN_DAYS}


def _weights(n: int, skew: float) -> list[float]:
    cum, total = [], 0.0
    for k in range(n):
        total += 1.0 / (k + 1) ** skew
        cum.append(total)
    return cum


class Generator:
    """Deterministic entries; ``chunks()`` yields lists of STORED_COLUMNS tuples (seq, count ints)."""

    def __init__(self, spec: Spec, end: datetime) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        n_subjects = max(100, spec.entries // SUBJECTS_PER_ENTRY)
        self.n_subjects = n_subjects
        r = self.rng
        self.refs: list[str] = []
        self.labels: list[str] = []
        self.names: list[str] = []
        self.natural: list[bool] = []
        for i in range(n_subjects):
            digest = hashlib.sha256(f"bench-subject-{spec.seed}-{i}".encode()).hexdigest()
            natural = i % 10 < 3
            if natural:
                name = r.choice(_SURNAMES) + r.choice(_SURNAMES) + ("" if i % 3 else r.choice(_SURNAMES))
                tail = f"{r.randrange(1000):03d}{r.choice('0123456789X')}"
                label = f"{name[0]}{'*' * (len(name) - 1)}（4101**********{tail}）"
                self.refs.append("n:" + digest)
            else:
                name = f"{r.choice(_PLACES)}{r.choice(_WORDS)}{r.choice(_TRADES)}有限公司"
                uscc = "91410" + "".join(r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(13))
                label = f"{name}（{uscc}）"
                self.refs.append("l:" + digest)
            self.names.append(name)
            self.labels.append(label)
            self.natural.append(natural)
        self.third_party_orgs = [
            f"{_PLACES[k % len(_PLACES)]}{_WORDS[(k * 7) % len(_WORDS)]}{['信用管理', '征信服务', '信用评估'][k % 3]}"
            f"有限公司{'' if k < 42 else f'（第{k}分公司）'}"
            for k in range(300)
        ]
        self.tp_cum = _weights(len(self.third_party_orgs), 1.0)
        self.ag_cum = _weights(len(_AGENCIES), 0.8)
        self.method_cum = _weights_from(_METHODS)
        self.counts_allowed = [0] * n_subjects
        self.counts_refused = [0] * n_subjects
        self.last_seq = [0] * n_subjects
        span_us = SPAN_DAYS * 86_400 * 10**6
        self.end = end
        self.start = end - timedelta(microseconds=span_us)
        self.step_us = span_us // spec.entries
        self.head = (0, GENESIS, "")

    def _subject(self) -> int:
        # Skewed: a few subjects are queried very often, most rarely (as in real credit queries).
        return int(self.n_subjects * self.rng.random() ** 2.2)

    def _event(self) -> tuple[tuple[str, ...], int]:
        r = self.rng
        method = _METHODS_LIST[_pick(self.method_cum, r.random())]
        s = self._subject()
        outcome = "allowed"
        case_ref = authority_ref = authority_sha = ""
        p = r.random()
        if method == "web_self":
            natural = self.natural[s]
            account = f"{'citizen' if natural else 'ent'}{s}"
            role = "citizen" if natural else "enterprise"
            org = "" if natural else self.names[s]
            reason_code, reason_text = "self_query", ("本人网上查询" if p < 0.8 else "本人下载信用信息报告")
            scope = "A,B,C"
            if p > 0.98:
                outcome = "refused:identity_not_verified"
        elif method == "third_party":
            k = _pick(self.tp_cum, r.random() * self.tp_cum[-1])
            org = self.third_party_orgs[k]
            account = f"tp{k}-{r.randrange(4)}"
            role = "third_party"
            reason_code, reason_text = _THIRD_PARTY_REASONS[r.randrange(len(_THIRD_PARTY_REASONS))]
            scope = "A,B"
            auth = r.randrange(2_000_000)
            authority_ref = f"authorization:{auth}"
            authority_sha = hashlib.sha256(b"letter-%d" % auth).hexdigest()
            if p > 0.96:
                outcome = "refused:authorization_not_effective" if p < 0.99 else "refused:not_requester"
        elif method in ("agency", "api"):
            k = _pick(self.ag_cum, r.random() * self.ag_cum[-1])
            org = _AGENCIES[k]
            role = "agency"
            account = f"ag{k}-{r.randrange(6)}" if method == "agency" else f"api-{k}"
            reason_code, reason_text = _AGENCY_REASONS[r.randrange(len(_AGENCY_REASONS))]
            scope = "A,B,C;" + _CATEGORIES[r.randrange(len(_CATEGORIES))] if p < 0.5 else "A,B"
            number = r.randrange(1, 9999)
            authority_ref = f"official_letter:郑{k}函〔2026〕{number}号"
            authority_sha = hashlib.sha256(b"official-%d-%d" % (k, number)).hexdigest()
            if r.random() < 0.3:
                case_ref = f"郑{k}立〔2026〕{r.randrange(1, 99999)}号"
                reason_text = f"{reason_text}（案件{case_ref}）"
            if p > 0.95:
                outcome = "refused:category_not_granted" if p < 0.98 else "refused:no_official_letter"
        else:  # counter
            account = f"staff{r.randrange(20)}"
            role = "staff"
            org = "郑州市公共信用信息中心"
            reason_code, reason_text = "self_query", "窗口查询（本人持证件）"
            scope = "A,B,C"
        values = (
            account,
            role,
            org,
            method,
            reason_code,
            reason_text,
            self.refs[s],
            self.labels[s],
            scope,
            authority_ref,
            authority_sha,
            outcome,
            f"{r.getrandbits(128):032x}",
            case_ref,
        )
        return values, s

    def chunks(self, size: int = CHUNK) -> Iterator[list[tuple]]:
        seq, prev = 0, GENESIS
        created = ""
        base = self.start
        step = self.step_us
        allowed, refused, last = self.counts_allowed, self.counts_refused, self.last_seq
        r = self.rng
        us = 0
        while seq < self.spec.entries:
            rows = []
            for _ in range(min(size, self.spec.entries - seq)):
                seq += 1
                us += max(1, int(step * 2 * r.random()))
                moment = base + timedelta(microseconds=us)
                created = (
                    f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
                    f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
                )
                values, s = self._event()
                if values[11] == "allowed":
                    allowed[s] += 1
                else:
                    refused[s] += 1
                last[s] = seq
                count = allowed[s]
                digest = entry_hash(prev, (str(seq), created, *values, str(count)))
                rows.append((seq, created, *values, count, prev, digest))
                prev = digest
            yield rows
        self.head = (seq, prev, created)

    def subject_counts(self) -> Iterator[tuple[str, int, int, int]]:
        for i, ref in enumerate(self.refs):
            if self.last_seq[i]:
                yield ref, self.counts_allowed[i], self.counts_refused[i], self.last_seq[i]

    def popular(self) -> dict:
        """Filters for the browse benchmark: the busiest third-party organisation and a method."""
        return {"requester_org": self.third_party_orgs[0], "method": "agency"}


_METHODS_LIST = [m for m, _ in _METHODS]


def _weights_from(pairs) -> list[float]:
    total, cum = 0.0, []
    for _, w in pairs:
        total += w
        cum.append(total / sum(w for _, w in pairs))
    return cum


def _pick(cum: list[float], x: float) -> int:
    from bisect import bisect_left

    return min(bisect_left(cum, x), len(cum) - 1)


# --------------------------------------------------------------------------------------------
# Manifests
# --------------------------------------------------------------------------------------------


def _manifest_path(root: Path, engine: str, spec: Spec) -> Path:
    return root / f"audit-{engine}-{spec.label}.json"


def read_manifest(root: Path, engine: str, spec: Spec) -> dict | None:
    path = _manifest_path(root, engine, spec)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    wanted = spec.manifest()
    return data if all(data.get(k) == v for k, v in wanted.items()) and data.get("complete") else None


def write_manifest(root: Path, engine: str, spec: Spec, extra: dict) -> dict:
    data = spec.manifest() | extra | {"complete": True}
    _manifest_path(root, engine, spec).write_text(json.dumps(data, ensure_ascii=False, indent=1))
    return data


def _end_of(spec: Spec) -> datetime:
    if spec.end:
        return datetime.fromisoformat(spec.end).replace(tzinfo=timezone.utc)
    now = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return now - timedelta(days=1)


def _index_statements() -> list[str]:
    from audit.schema import _INDEXES

    return [s.strip() for s in _INDEXES.split(";") if s.strip()]


def _index_names() -> list[str]:
    return [s.split()[2] for s in _index_statements()]


# --------------------------------------------------------------------------------------------
# SQLite
# --------------------------------------------------------------------------------------------


def sqlite_settings(root: Path, spec: Spec) -> AuditSettings:
    from audit.settings import load_settings

    d = root / f"audit-sqlite-{spec.label}"
    return load_settings({"AUDIT_DATA_DIR": str(d)})


async def _migrate(settings: AuditSettings) -> None:
    from audit.db import connect
    from audit.schema import migrate

    async with connect(settings, "admin", create_dir=True) as conn:
        await migrate(conn, settings, quiet=True)


def ensure_sqlite(root: Path, spec: Spec) -> tuple[AuditSettings, dict]:
    settings = sqlite_settings(root, spec)
    found = read_manifest(root, "sqlite", spec)
    if found and settings.sqlite_path.exists():
        con = sqlite3.connect(f"file:{settings.sqlite_path}?mode=ro", uri=True)
        try:
            head = con.execute("SELECT last_seq, last_hash FROM chain_head").fetchone()
        finally:
            con.close()
        if head and head[0] >= spec.entries:
            log(f"audit data set {settings.sqlite_path}: {head[0]:,} entries (reused)")
            return settings, found
    log(f"audit data set {settings.sqlite_path}: generating {spec.entries:,} entries")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{settings.sqlite_path}{suffix}").unlink(missing_ok=True)
    started = time.monotonic()
    asyncio.run(_migrate(settings))
    con = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -1000000")
    for name in _index_names():
        con.execute(f"DROP INDEX {name}")
    gen = Generator(spec, _end_of(spec))
    insert = f"INSERT INTO entries ({', '.join(STORED_COLUMNS)}) VALUES ({', '.join('?' * len(STORED_COLUMNS))})"
    done = 0
    for rows in gen.chunks():
        con.execute("BEGIN")
        con.executemany(insert, rows)
        con.execute("COMMIT")
        done += len(rows)
        if done % 1_000_000 < CHUNK:
            log(f"  sqlite: {done:,} entries ({done / (time.monotonic() - started):,.0f}/s)")
    loaded = time.monotonic()
    con.execute("BEGIN")
    con.executemany("INSERT INTO subject_counts VALUES (?, ?, ?, ?)", gen.subject_counts())
    seq, last_hash, last_created = gen.head
    con.execute(
        "UPDATE chain_head SET last_seq = ?, last_hash = ?, last_created_at = ? WHERE id = 1",
        (seq, last_hash, last_created),
    )
    con.execute("COMMIT")
    for statement in _index_statements():
        t = time.monotonic()
        con.execute(statement)
        log(f"  sqlite: {statement.split(' ON ')[0]} in {time.monotonic() - t:.0f}s")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    size = settings.sqlite_path.stat().st_size
    manifest = write_manifest(
        root,
        "sqlite",
        spec,
        {
            "head": {"seq": seq, "hash": last_hash, "created_at": last_created},
            "filters": gen.popular(),
            "subjects": gen.n_subjects,
            "file_bytes": size,
            "load_s": round(loaded - started, 1),
            "total_s": round(time.monotonic() - started, 1),
        },
    )
    log(f"audit data set {settings.sqlite_path}: done in {time.monotonic() - started:.0f}s ({size / 1e9:.1f} GB)")
    return settings, manifest


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------

AUDIT_ROLES = ("audit_owner", "audit_writer", "audit_reader")


def pg_urls(port: int, database: str) -> dict[str, str]:
    base = f"@127.0.0.1:{port}/{database}"
    return {
        "AUDIT_DATABASE_URL": f"postgresql://audit_writer{base}",
        "AUDIT_ADMIN_DATABASE_URL": f"postgresql://audit_owner{base}",
        "AUDIT_READER_DATABASE_URL": f"postgresql://audit_reader{base}",
    }


def pg_settings(port: int, database: str, data_dir: Path) -> AuditSettings:
    from audit.settings import load_settings

    return load_settings(pg_urls(port, database) | {"AUDIT_DATA_DIR": str(data_dir)})


async def _superuser(port: int, database: str = "postgres"):
    import asyncpg

    return await asyncpg.connect(host="127.0.0.1", port=port, user="portal", database=database, timeout=30)


async def pg_create_database(port: int, database: str, drop: bool = False) -> None:
    """Roles (once per cluster) and an audit database owned by audit_owner, as audit/README.md says."""
    con = await _superuser(port)
    try:
        have = {r[0] for r in await con.fetch("SELECT rolname FROM pg_roles")}
        for role in AUDIT_ROLES:
            if role not in have:
                await con.execute(f"CREATE ROLE {role} LOGIN")
        if drop:
            await con.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        if not await con.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await con.execute(f"CREATE DATABASE {database} OWNER audit_owner")
    finally:
        await con.close()


async def pg_head(port: int, database: str) -> tuple[int, str] | None:
    try:
        con = await _superuser(port, database)
    except Exception:
        return None
    try:
        row = await con.fetchrow("SELECT last_seq, last_hash FROM audit.chain_head")
        return (int(row[0]), row[1]) if row else None
    except Exception:
        return None
    finally:
        await con.close()


async def _pg_load(port: int, database: str, spec: Spec, data_dir: Path) -> dict:
    import asyncpg

    from audit.db import PgConn
    from audit.partitions import ensure_partitions
    from audit.schema import migrate

    settings = pg_settings(port, database, data_dir)
    end = _end_of(spec)
    gen = Generator(spec, end)
    owner = await asyncpg.connect(settings.dsn("admin"), server_settings={"search_path": "audit"})
    try:
        conn = PgConn(owner)
        await migrate(conn, settings, quiet=True)
        await ensure_partitions(conn, gen.start, end=end)
        for name in _index_names():
            await owner.execute(f"DROP INDEX IF EXISTS {name}")
        started = time.monotonic()
        done = 0
        for rows in gen.chunks():
            buf = io.BytesIO(
                "".join("\t".join(map(str, row)) + "\n" for row in rows).encode()  # no tabs/backslashes in values
            )
            await owner.copy_to_table("entries", source=buf, columns=list(STORED_COLUMNS), schema_name="audit")
            done += len(rows)
            if done % 1_000_000 < CHUNK:
                log(f"  postgres: {done:,} entries ({done / (time.monotonic() - started):,.0f}/s)")
        loaded = time.monotonic()
        counts = "".join(f"{a}\t{b}\t{c}\t{d}\n" for a, b, c, d in gen.subject_counts()).encode()
        await owner.copy_to_table("subject_counts", source=io.BytesIO(counts), schema_name="audit")
        seq, last_hash, last_created = gen.head
        from audit.chain import parse_time

        await owner.execute(
            "UPDATE chain_head SET last_seq = $1, last_hash = $2, last_created_at = $3 WHERE id = 1",
            seq,
            last_hash,
            parse_time(last_created),
        )
        await owner.execute("SET maintenance_work_mem = '2GB'")
        for statement in _index_statements():
            t = time.monotonic()
            await owner.execute(statement)
            log(f"  postgres: {statement.split(' ON ')[0]} in {time.monotonic() - t:.0f}s")
        t = time.monotonic()
        await owner.execute("VACUUM (ANALYZE) entries")
        await owner.execute("VACUUM (ANALYZE) subject_counts")
        log(f"  postgres: VACUUM ANALYZE in {time.monotonic() - t:.0f}s")
        size = await owner.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await owner.close()
    return {
        "head": {"seq": seq, "hash": last_hash, "created_at": last_created},
        "filters": gen.popular(),
        "subjects": gen.n_subjects,
        "database_bytes": size,
        "load_s": round(loaded - started, 1),
        "total_s": round(time.monotonic() - started, 1),
    }


def ensure_postgres(cluster, root: Path, spec: Spec, server_options: str = "") -> tuple[AuditSettings, dict]:
    """``cluster``: a started bench.dataset.PgCluster (ours or someone's); restarted for the load if ours."""
    from bench.dataset import GENERATE_OPTIONS

    database = f"audit_{spec.label.replace('.', '_')}"
    data_dir = root / "pg-audit-appdata"
    data_dir.mkdir(parents=True, exist_ok=True)
    found = read_manifest(root, "postgres", spec)
    head = asyncio.run(pg_head(cluster.port, database))
    if found and head and head[0] >= spec.entries:
        log(f"audit data set postgres {database}: {head[0]:,} entries (reused)")
        return pg_settings(cluster.port, database, data_dir), found
    log(f"audit data set postgres {database}: generating {spec.entries:,} entries")
    if cluster.ours:
        cluster.stop_if_ours()
        cluster.start(f"{server_options} {GENERATE_OPTIONS}")
    try:
        asyncio.run(pg_create_database(cluster.port, database, drop=True))
        extra = asyncio.run(_pg_load(cluster.port, database, spec, data_dir))

        async def checkpoint() -> None:
            con = await _superuser(cluster.port)
            try:
                await con.execute("CHECKPOINT")
            finally:
                await con.close()

        asyncio.run(checkpoint())
    finally:
        if cluster.ours:
            cluster.stop_if_ours()
            cluster.start(server_options)
    manifest = write_manifest(root, "postgres", spec, extra)
    return pg_settings(cluster.port, database, data_dir), manifest
