"""``python -m portal <command>``: serve, migrate, demo-data, create-user, set-password, build-assets, ….

Imports are lazy so that every command reads the environment (DATABASE_URL, PORTAL_DATA_DIR)
before Piccolo fixes the engine (STACK.md).
"""

from __future__ import annotations

import argparse
import os
import sys


def _migrate(_args) -> None:
    from portal.migrate import migrate

    migrate()


def _serve(args) -> None:
    import uvicorn

    from portal.migrate import migrate

    migrate()
    _start_shared_audit_writer()
    uvicorn.run(
        "portal.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # The client address is decided in one place, portal.web.client (PORTAL_TRUSTED_PROXIES).
        proxy_headers=False,
        log_level="info",
        access_log=False,
    )


def _start_shared_audit_writer() -> None:
    """The serve parent starts the host's audit writer, so that it outlives worker restarts; the
    workers connect to it (audit/client.py). If it cannot start now, the first append retries (R-19)."""
    from audit.recorder import AuditUnavailable, get_recorder

    try:
        get_recorder().start()
    except AuditUnavailable as exc:
        print(f"审计写入进程未启动 / audit writer not started: {exc}", file=sys.stderr)


def _demo_data(args) -> None:
    from portal.demo.command import run

    run(subjects=args.subjects, seed=args.seed, if_empty=args.if_empty, quiet=args.quiet)


def _set_password(args) -> None:
    from portal.accounts.commands import set_password

    set_password(args.username)


def _create_user(args) -> None:
    from portal.accounts.commands import create_user

    create_user(
        username=args.username,
        role=args.role,
        display_name=args.name,
        agency_code=args.agency,
        organisation=args.organisation,
        password=args.password,
    )


def _create_api_key(args) -> None:
    import asyncio

    from portal.ingest.keys import ApiKeyError, create_key

    async def run() -> tuple[str, dict]:
        from piccolo_conf import DB

        try:
            categories = [c for c in args.categories.split(",") if c]
            return await create_key(args.agency, categories, args.name, "cli", days=args.days)
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    try:
        key, row = asyncio.run(run())
    except ApiKeyError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    print(f"API 密钥（只显示这一次，请交给 {args.agency} 的系统管理员妥善保存）：")
    print(key)
    print(f"前缀 {row['prefix']} · 有效期至 {row['expires_at']:%Y-%m-%d} · 可报送类别 {row['categories']}")


def _sweep_uploads(args) -> None:
    import asyncio

    from portal.uploads.service import sweep

    async def run() -> int:
        from piccolo_conf import DB

        try:
            return await sweep(older_than=args.older_than)
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    print(f"removed: {asyncio.run(run())}")


def _purge_sessions(_args) -> None:
    import asyncio

    from portal.accounts.sessions import purge_expired

    async def run() -> int:
        from piccolo_conf import DB

        try:
            return await purge_expired()
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    print(f"removed: {asyncio.run(run())}")


def _send_mail(_args) -> None:
    import asyncio

    from portal.notices.mail import drain

    async def run() -> dict:
        from piccolo_conf import DB

        try:
            return await drain()
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    result = asyncio.run(run())
    print(
        "e-mail off (PORTAL_SMTP_HOST unset)"
        if result["off"]
        else f"sent: {result['sent']}, failed: {result['failed']}"
    )


def _housekeeping(args) -> None:
    """One scheduler round from cron: the due jobs, if no running portal holds the lease."""
    import asyncio

    from portal.housekeeping.jobs import DEFAULT_JOBS
    from portal.housekeeping.scheduler import Scheduler

    async def run() -> int:
        from piccolo_conf import DB

        try:
            scheduler = Scheduler([j for j in DEFAULT_JOBS if not args.job or j.name in args.job])
            tasks = await scheduler.tick()
            await asyncio.gather(*tasks)
            await scheduler.stop()
            return len(tasks)
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    print(f"jobs run: {asyncio.run(run())} (see /staff/housekeeping)")


def _refresh_stats(_args) -> None:
    import asyncio

    from portal.stats.service import refresh

    async def run() -> dict:
        from piccolo_conf import DB

        try:
            return await refresh()
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    for key, value in asyncio.run(run()).items():
        print(f"{key}: {value}")


def _build_assets(_args) -> None:
    from portal.assets import build

    build()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m portal", description="信用门户管理命令")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="运行门户（先执行数据库迁移）")
    p.add_argument("--host", default=os.environ.get("PORTAL_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORTAL_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("PORTAL_WORKERS", "1")))
    p.set_defaults(func=_serve)

    sub.add_parser("migrate", help="执行数据库迁移").set_defaults(func=_migrate)

    p = sub.add_parser("demo-data", help="生成演示数据")
    p.add_argument("--subjects", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--if-empty", action="store_true", help="库中已有主体时不做任何事")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_demo_data)

    p = sub.add_parser("create-user", help="创建工作人员、部门、审计员、信用服务机构或管理员账号")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["third_party", "agency", "staff", "auditor", "admin"])
    p.add_argument("--name", required=True, help="显示名称")
    p.add_argument("--agency", help="部门代码（部门用户必填）")
    p.add_argument("--organisation", default="")
    p.add_argument("--password", help="不填则从标准输入读取")
    p.set_defaults(func=_create_user)

    p = sub.add_parser("set-password", help="为账号设置新密码（从标准输入读取），结束其所有会话")
    p.add_argument("username")
    p.set_defaults(func=_set_password)

    p = sub.add_parser("create-api-key", help="为部门的业务系统创建系统对接 API 密钥（只显示一次）")
    p.add_argument("--agency", required=True, help="部门代码")
    p.add_argument("--categories", required=True, help="可报送的信息类别代码，逗号分隔")
    p.add_argument("--name", default="业务系统", help="使用该密钥的系统名称")
    p.add_argument("--days", type=int, default=365, help="有效天数（最多 730）")
    p.set_defaults(func=_create_api_key)

    sub.add_parser("refresh-stats", help="重新统计首页数据概况（可定时执行）").set_defaults(func=_refresh_stats)

    p = sub.add_parser("sweep-uploads", help="清理中断上传留下的临时文件和无记录文件（可定时执行）")
    p.add_argument("--older-than", type=float, default=3600, help="只清理早于此秒数的文件")
    p.set_defaults(func=_sweep_uploads)

    sub.add_parser("purge-sessions", help="清除过期会话（可定时执行）").set_defaults(func=_purge_sessions)

    sub.add_parser("send-mail", help="发送待发邮件（失败的按退避时间重试，可定时执行）").set_defaults(func=_send_mail)

    p = sub.add_parser("housekeeping", help="运行一轮到期的例行任务（门户内置调度关闭时由 cron 执行）")
    p.add_argument("--job", action="append", default=[], help="只运行这些任务（可重复）")
    p.set_defaults(func=_housekeeping)

    sub.add_parser("build-assets", help="获取 htmx 并构建 Tailwind 样式").set_defaults(func=_build_assets)

    args = parser.parse_args(argv)
    if args.command != "build-assets":  # static/ is served; everything else touches the data dir
        from portal.datadir import secure_data_dir

        secure_data_dir()
    try:
        args.func(args)
    except KeyboardInterrupt:
        sys.exit(130)
