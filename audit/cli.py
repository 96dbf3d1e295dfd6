"""``python -m audit migrate|verify|checkpoint|purge|hold|keygen|export|status|serve``.

Exit codes: 0 success; 1 the log failed verification (or a checkpoint/purge was refused because of
it); 2 the command could not run (store unavailable, bad arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

import asyncpg

from audit.settings import AuditSettings, get_settings


def _parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m audit", description="查询审计服务 / query-audit service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the audit schema (idempotent)")
    verify = sub.add_parser("verify", help="verify the hash chain, checkpoints and tombstones")
    verify.add_argument("--full", action="store_true", help="from the start, not from the last good checkpoint")
    verify.add_argument(
        "--checkpoints", type=Path, help="directory of exported checkpoints (default: AUDIT_EXPORT_DIR)"
    )
    verify.add_argument(
        "--public-key", type=Path, action="append", default=[], help="trusted public key PEM (repeatable)"
    )
    verify.add_argument("--no-record", action="store_true", help="do not store the result in verification_runs")
    checkpoint = sub.add_parser("checkpoint", help="sign and export a checkpoint of the current head")
    checkpoint.add_argument("--if-due", action="store_true", help="only if AUDIT_CHECKPOINT_EVERY entries are new")
    purge = sub.add_parser("purge", help="purge entries older than 5 years (R-19), leaving signed tombstones")
    purge.add_argument("--now", type=_parse_now, help="pretend it is this date/time (ISO), e.g. 2031-01-01")
    purge.add_argument("--dry-run", action="store_true")
    purge.add_argument("--max-entries", type=int, default=50_000, help="entries per tombstone/transaction")
    hold = sub.add_parser("hold", help="legal holds that stop purging")
    hold_sub = hold.add_subparsers(dest="hold_command", required=True)
    add = hold_sub.add_parser("add")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--subject-ref")
    target.add_argument("--case", help="case number: matches entries' case_ref or authority_ref")
    add.add_argument("--reason", required=True)
    add.add_argument("--by", default="cli")
    listing = hold_sub.add_parser("list")
    listing.add_argument("--all", action="store_true", help="include released holds")
    release = hold_sub.add_parser("release")
    release.add_argument("id", type=int)
    release.add_argument("--reason", required=True)
    release.add_argument("--by", default="cli")
    keygen = sub.add_parser("keygen", help="create the Ed25519 signing key (or rotate it)")
    keygen.add_argument("--rotate", action="store_true")
    sub.add_parser("export", help="re-export all checkpoints, tombstones and the public key")
    sub.add_parser("status", help="integrity status as JSON")
    serve = sub.add_parser("serve", help="run the standalone audit app (healthz, integrity, auto-checkpoints)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8100)
    writer = sub.add_parser("writer", help="run the audit writer: appends arrive on a Unix socket")
    writer.add_argument("--socket", required=True, help="path of the Unix socket to listen on (created 0600)")
    writer.add_argument("--mode", type=lambda v: int(v, 8), default=0o600, help="socket permissions (default 0600)")
    writer.add_argument("--exit-with-stdin", action="store_true", help="stop when stdin closes (a child process)")
    return parser


async def _verify(settings: AuditSettings, args: argparse.Namespace) -> int:
    from audit.db import connect
    from audit.keys import load_public_keys
    from audit.verify import Verifier, last_good_run, record_run

    export_dir = args.checkpoints or (settings.export_dir if settings.export_dir.is_dir() else None)

    def load_keys() -> dict:
        # Looked up at each call: the first checkpoint creates the export directory and the key.
        exports = args.checkpoints or (settings.export_dir if settings.export_dir.is_dir() else None)
        sources = list(args.public_key) or [p for p in [exports / "keys" if exports else None] if p]
        return load_public_keys([p for p in sources if p.exists()])

    started = datetime.now(timezone.utc)
    async with connect(settings, "reader") as conn:
        last = None if args.full else await last_good_run(conn)
        verifier = Verifier(conn, load_keys(), export_dir, reload_keys=load_keys)
        result = await verifier.run(full=args.full, last_good_to_seq=last)
        if not args.no_record:
            try:
                await record_run(conn, result, started)
            except Exception as exc:
                print(f"warning: could not record the verification run: {exc}", file=sys.stderr)
    rate = result.entries_checked / result.elapsed if result.elapsed > 0 else 0.0
    span = f"seq {result.from_seq}–{result.to_seq}" if result.to_seq >= result.from_seq else "no new entries"
    summary = (
        f"{result.entries_checked} entries ({result.mode}, {span}), {result.checkpoints_checked} checkpoints, "
        f"{result.tombstones_checked} tombstones in {result.elapsed:.2f}s ({rate:,.0f} entries/s)"
    )
    if result.note:
        summary += f"; {result.note}"
    if result.ok:
        print(f"审计日志完整 / audit log intact: {summary}")
        return 0
    print(f"审计日志校验失败 / AUDIT LOG VERIFICATION FAILED: {summary}")
    print(f"第一个有问题的条目 / first bad entry: seq {result.first_bad_seq}")
    for problem in result.problems:
        print(f"  - {problem}")
    return 1


async def _run(settings: AuditSettings, args: argparse.Namespace) -> int:
    from audit.db import connect

    if args.command == "verify":
        return await _verify(settings, args)
    if args.command == "keygen":
        from audit.keys import load_signing_key, rotate_key

        key = rotate_key(settings) if args.rotate else load_signing_key(settings)
        print(f"signing key {key.key_id}; public key exported to {settings.export_dir / 'keys'}")
        return 0
    async with connect(settings, "admin", create_dir=args.command == "migrate") as conn:
        if args.command == "migrate":
            from audit.schema import migrate

            applied = await migrate(conn, settings)
            print(f"audit schema up to date (applied: {applied or 'nothing'})")
        elif args.command == "checkpoint":
            from audit.checkpoints import CheckpointRefused, make_checkpoint

            try:
                cp = await make_checkpoint(conn, settings, if_due=args.if_due)
            except CheckpointRefused as exc:
                print(f"检查点被拒绝：链校验失败 / checkpoint refused, the chain does not verify: {exc}")
                return 1
            print(f"checkpoint #{cp.id} at seq {cp.seq} → {cp.path}" if cp else "no checkpoint needed")
        elif args.command == "purge":
            from audit.retention import PurgeRefused, purge

            try:
                report = await purge(conn, settings, args.now, max_entries=args.max_entries, dry_run=args.dry_run)
            except PurgeRefused as exc:
                print(f"清除被拒绝：链校验失败 / purge refused, the chain does not verify: {exc}")
                return 1
            print(json.dumps(report.__dict__, ensure_ascii=False))
        elif args.command == "hold":
            return await _hold(conn, args)
        elif args.command == "export":
            from audit.checkpoints import export_all

            print(f"exported {await export_all(conn, settings)} records to {settings.export_dir}")
        elif args.command == "status":
            from audit.service import integrity_status_query

            print(json.dumps(await integrity_status_query(conn), ensure_ascii=False, default=str, indent=2))
    return 0


async def _hold(conn, args: argparse.Namespace) -> int:
    from audit.retention import add_hold, list_holds, release_hold

    if args.hold_command == "add":
        kind, value = ("subject", args.subject_ref) if args.subject_ref else ("case", args.case)
        print(f"hold #{await add_hold(conn, kind, value, args.reason, args.by)} added")
    elif args.hold_command == "list":
        for hold in await list_holds(conn, include_released=args.all):
            print(json.dumps(hold, ensure_ascii=False))
    elif not await release_hold(conn, args.id, args.reason, args.by):
        print(f"no active hold #{args.id}", file=sys.stderr)
        return 2
    else:
        print(f"hold #{args.id} released")
    return 0


def main(argv: list[str] | None = None) -> int:
    from audit.files import private_umask, restrict_store

    args = _parser().parse_args(argv)
    settings = get_settings()
    private_umask()  # the store (and its -wal/-shm), keys and exports: 0600 in 0700 directories
    restrict_store(settings)
    if args.command == "serve":
        import uvicorn

        from audit.app import create_app

        uvicorn.run(create_app(settings), host=args.host, port=args.port)
        return 0
    if args.command == "writer":
        from audit.writer import serve as serve_writer

        serve_writer(settings, args.socket, args.exit_with_stdin, args.mode)
        return 0
    try:
        return asyncio.run(_run(settings, args))
    except (OSError, TimeoutError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        print(f"审计存储不可用 / audit store unavailable: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"参数错误 / bad arguments: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"审计命令失败 / audit command failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
