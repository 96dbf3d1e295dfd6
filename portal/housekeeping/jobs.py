"""The housekeeping jobs. Each is also a CLI command for cron (`python -m portal …`, `python -m audit …`).

The portal's own jobs are short database statements and a file sweep already off the event loop.
The audit jobs run as `python -m audit …` subprocesses: the signing key never enters the portal
process, verification's hashing (CPU for minutes on a large log) does not hold the portal's GIL,
and a crash there is a failed run, not a dead worker.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from portal.settings import ROOT

__all__ = ["Job", "JobFailed", "DEFAULT_JOBS", "command_job"]

OUTPUT_LIMIT = 2000
COMMAND_TIMEOUT_S = 6 * 3600  # a full verification of a large log takes long; a hung one must end


class JobFailed(RuntimeError):
    """A job's command exited non-zero; the message is its output."""


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    """What staff and auditors read on /staff/housekeeping."""
    every: timedelta
    run: Callable[[], Awaitable[str]]
    """Returns a one-line summary; raises on failure."""


def _tail(data: bytes) -> str:
    return data.decode(errors="replace").strip()[-OUTPUT_LIMIT:]


def command_job(name: str, label: str, every: timedelta, *argv: str) -> Job:
    """A job that runs ``python <argv>`` in the checkout, as cron would."""

    async def run() -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *argv, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT_S):
                out, _ = await proc.communicate()
        except BaseException:  # timed out, or the app is shutting down: never leave it running
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        if proc.returncode != 0:
            raise JobFailed(f"exit {proc.returncode}: {_tail(out)}")
        return _tail(out)

    return Job(name, label, every, run)


async def _purge_sessions() -> str:
    from portal.accounts.sessions import purge_expired

    return f"removed: {await purge_expired()}"


async def _purge_receipts() -> str:
    from portal.queries.service import purge_expired_receipts

    return f"removed: {await purge_expired_receipts()}"


async def _sweep_uploads() -> str:
    from portal.uploads.service import sweep

    return f"removed: {await sweep()}"


async def _send_mail() -> str:
    from portal.notices.mail import drain

    result = await drain()
    return "e-mail off" if result["off"] else f"sent: {result['sent']}, failed: {result['failed']}"


async def _send_sms() -> str:
    from portal.notices.sms import drain

    result = await drain()
    return "SMS off" if result["off"] else f"sent: {result['sent']}, failed: {result['failed']}"


async def _resume_imports() -> str:
    from portal.ingest.imports import resume_stale

    return await resume_stale()


async def _sweep_imports() -> str:
    from portal.ingest.imports import sweep_rejected

    return await sweep_rejected()


async def _objection_reminders() -> str:
    from portal.objections.reminders import run

    return await run()


DEFAULT_JOBS: tuple[Job, ...] = (
    Job("purge-sessions", "清除过期会话", timedelta(minutes=15), _purge_sessions),
    Job("purge-receipts", "清除过期的查询结果凭据", timedelta(minutes=15), _purge_receipts),
    Job("send-mail", "发送待发邮件（失败的稍后重试）", timedelta(minutes=1), _send_mail),
    Job("send-sms", "发送待发短信（失败的稍后重试）", timedelta(minutes=1), _send_sms),
    Job("sweep-uploads", "清理中断上传的临时文件", timedelta(hours=1), _sweep_uploads),
    # an uploaded workbook's import survives its worker dying.
    Job("resume-imports", "继续中断的批量上传导入", timedelta(minutes=1), _resume_imports),
    Job("sweep-imports", "删除30天前的未导入行工作簿", timedelta(days=1), _sweep_imports),
    Job("objection-reminders", "异议办理期限提醒；补发更正通知", timedelta(hours=1), _objection_reminders),
    # R-19 / SPEC §5: checkpoints sign what is new, verification finds tampering, purge keeps 5 years.
    command_job("audit-checkpoint", "签署审计日志检查点", timedelta(minutes=10), "-m", "audit", "checkpoint"),
    command_job("audit-verify", "审计日志增量校验", timedelta(hours=1), "-m", "audit", "verify"),
    command_job("audit-verify-full", "审计日志全量校验", timedelta(days=1), "-m", "audit", "verify", "--full"),
    command_job("audit-purge", "清除超过 5 年的查询记录", timedelta(days=1), "-m", "audit", "purge"),
)
