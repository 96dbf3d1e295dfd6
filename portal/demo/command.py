"""``python -m portal demo-data``: a deterministic, Zhengzhou-sized demo data set.

Runs the migrations, then bulk-loads with the raw driver of the configured engine (SQLite:
portal.demo.load_sqlite; PostgreSQL: portal.demo.load_postgres), and creates one demo account per
role. The same seed gives the same rows (the sealed ID numbers excepted: Fernet tokens carry a
random IV; their plain text is the same). Digests depend on the server secret.
"""

from __future__ import annotations

import asyncio
import sys
import time

from portal.demo.accounts import DEMO_ACCOUNTS, password_for, render_table

__all__ = ["run"]


def _refresh_stats(report) -> None:
    """Recount the home page's headline figures (portal.stats) for the new data."""
    started = time.monotonic()

    async def refresh() -> None:
        from piccolo_conf import DB
        from portal.stats.service import refresh as refresh_stats

        try:
            await refresh_stats()
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    asyncio.run(refresh())
    report(f"已更新首页数据概况（{time.monotonic() - started:.0f} 秒）")


def _former_names(report) -> None:
    """Some legal persons get a former name (曾用名), searchable like current names."""

    async def seed() -> int:
        from piccolo_conf import DB
        from portal.demo.former_names import seed_former_names

        try:
            return await seed_former_names()
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    report(f"已生成 {asyncio.run(seed())} 个曾用名")


def _seed_queries(seed: int, report) -> None:
    """Verified demo subjects, authorisations, and a real query log (portal.demo.queries)."""
    started = time.monotonic()

    async def seed_all() -> int:
        from piccolo_conf import DB
        from portal.demo.queries import seed_queries

        try:
            return await seed_queries(seed)
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    written = asyncio.run(seed_all())
    report(f"已生成演示查询场景与 {written} 条查询记录（{time.monotonic() - started:.0f} 秒）")
    from audit.settings import get_settings as audit_settings

    if written and not audit_settings().is_postgres:
        # The embedded store has no audit service running beside `make run`: sign a checkpoint and
        # verify once, as its cron would, so the auditor's integrity page has something to show.
        import subprocess

        for command in (["checkpoint"], ["verify"]):
            subprocess.run([sys.executable, "-m", "audit", *command], check=True, stdout=subprocess.DEVNULL)
        report("已签署查询记录检查点并完成一次完整性校验")


def run(
    subjects: int,
    seed: int,
    if_empty: bool = False,
    quiet: bool = False,
    chunk_size: int = 20000,
    processes: bool = True,
) -> dict | None:
    """Generate and load; returns a summary dict, or None when --if-empty found data."""
    from portal.migrate import migrate
    from portal.settings import get_settings

    if subjects < 2:
        raise SystemExit("--subjects 至少为 2（演示账号需要一个企业和一个自然人）")
    settings = get_settings()
    started = time.monotonic()

    def report(message: str) -> None:
        if not quiet:
            print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)

    migrate()
    report(
        f"数据库迁移完成；开始生成 {subjects:,} 个主体（种子 {seed}，"
        f"{'PostgreSQL' if settings.is_postgres else 'SQLite'}）"
    )
    if settings.is_postgres:
        from portal.demo.load_postgres import run as run_engine

        result = asyncio.run(
            run_engine(
                settings.database_url, subjects, seed, settings.secret_key, if_empty, report, chunk_size, processes
            )
        )
    else:
        from portal.demo.load_sqlite import run as run_engine

        result = run_engine(
            settings.sqlite_path, subjects, seed, settings.secret_key, if_empty, report, chunk_size, processes
        )
    if result is None:
        report("数据库中已有主体数据（--if-empty），未做任何改动。")
        return None
    _former_names(report)
    _refresh_stats(report)
    _seed_queries(seed, report)
    result["seconds"] = round(time.monotonic() - started, 1)
    if not quiet:
        counts = result["counts"]
        print(f"\n演示数据已生成（用时 {result['seconds']:.1f} 秒）：")
        for table, label in (
            ("agency", "机关"),
            ("subject", "信用主体"),
            ("credit_record", "信用信息"),
            ("license_detail", "行政许可（双公示）"),
            ("penalty_detail", "行政处罚（双公示）"),
            ("record_change", "变更历史"),
            ("list_entry", "红黑名单"),
            ("account", "演示账号"),
        ):
            print(f"  {label}：{counts.get(table, 0):,}")
        who = {"citizen": result["citizen"], "enterprise": result["enterprise"], "agency": result["agency"]}
        existing = set(result.get("existing_accounts", ()))
        rows = [
            (u, role, "（已存在，未修改）" if u in existing else password_for(u), who.get(u, org or display or ""))
            for u, role, display, org in DEMO_ACCOUNTS
        ]
        print()
        print(render_table(rows))
        sys.stdout.flush()
    return result
