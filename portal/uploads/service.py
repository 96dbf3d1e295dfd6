"""Storing and serving uploaded documents (issue 3 §4). The only module that touches the
``upload`` table or the files under ``settings.uploads_dir``.

Store: read with a running byte count (the declared length is never trusted), sniff the content,
write a temp file beside the target, fsync, rename, then insert the row; a failed insert removes
the file again. Serve: only to the uploader, accounts of the subject concerned, and staff; to
everyone else the upload does not exist. A staff download of somebody else's upload is recorded in
the audit log first (``staff_review``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

import anyio.to_thread

from audit.recorder import QueryEvent, record
from portal.accounts.sessions import Principal
from portal.accounts.tables import Role
from portal.disclosure.service import Method, load_subject, subject_label
from portal.settings import get_settings
from portal.subjects.identity import subject_ref
from portal.uploads.names import clean_filename
from portal.uploads.sniff import Sniffed, SniffError, sniff
from portal.uploads.tables import Upload, UploadPurpose

__all__ = [
    "UploadError",
    "UploadRejected",
    "UploadNotFound",
    "store_upload",
    "attach_subject",
    "get_for_download",
    "get_owned",
    "get_by_id",
    "can_access",
    "purposes_for",
    "public_view",
    "file_path",
    "sweep",
]

log = logging.getLogger("portal.uploads")

_CHUNK = 64 * 1024
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_STORED = re.compile(r"[A-Za-z0-9_-]{2}/[A-Za-z0-9_-]{32}")
_COLUMNS = (
    Upload.id,
    Upload.token,
    Upload.owner,
    Upload.subject,
    Upload.purpose,
    Upload.media_type,
    Upload.size,
    Upload.sha256,
    Upload.stored_name,
    Upload.original_name,
    Upload.created_at,
)

# Who may file which kind of document through the generic upload endpoint (SPEC §7, R-18).
# Domains calling store_upload() directly decide for themselves.
_PURPOSES_BY_ROLE = {
    Role.CITIZEN: (UploadPurpose.IDENTITY_DOCUMENT, UploadPurpose.AUTHORIZATION_LETTER),
    Role.ENTERPRISE: (
        UploadPurpose.BUSINESS_LICENSE,
        UploadPurpose.ENTERPRISE_LETTER,
        UploadPurpose.AUTHORIZATION_LETTER,
    ),
    Role.THIRD_PARTY: (UploadPurpose.AUTHORIZATION_LETTER, UploadPurpose.BUSINESS_LICENSE),
    Role.AGENCY: (UploadPurpose.OFFICIAL_LETTER,),
    Role.STAFF: UploadPurpose.ALL,  # counter verification: staff scan what the visitor brings
}


class UploadError(Exception):
    pass


class UploadRejected(UploadError):
    """Refused upload: ``code`` (JSON clients), ``message`` (Chinese, for people), HTTP ``status``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status


class UploadNotFound(UploadError):
    """No such upload, or not for this principal (the two are indistinguishable on purpose)."""


class _Readable(Protocol):
    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


def purposes_for(role: str) -> tuple[str, ...]:
    return tuple(_PURPOSES_BY_ROLE.get(role, ()))


def max_size_label(limit: int | None = None) -> str:
    limit = get_settings().upload_max_bytes if limit is None else limit
    mib = limit / (1024 * 1024)
    return f"{mib:g} MB" if mib >= 1 else f"{max(1, limit // 1024)} KB"


def too_large() -> UploadRejected:
    return UploadRejected("file_too_large", f"文件大小超过 {max_size_label()} 上限，请压缩后重新上传", 413)


async def _read_limited(source: _Readable | bytes | AsyncIterable[bytes], limit: int) -> bytes:
    """All bytes of ``source``, counted as they arrive; stops one chunk past ``limit``."""
    if isinstance(source, bytes | bytearray):
        if len(source) > limit:
            raise too_large()
        return bytes(source)
    buffer = bytearray()
    if hasattr(source, "read"):
        while chunk := await source.read(_CHUNK):
            buffer += chunk
            if len(buffer) > limit:
                raise too_large()
    else:
        async for chunk in source:
            buffer += chunk
            if len(buffer) > limit:
                raise too_large()
    return bytes(buffer)


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def _write_atomically(target: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory: a crash leaves either
    nothing or the whole file under its final name, never a half-written one."""
    root = get_settings().uploads_dir
    _private_dir(root)
    _private_dir(target.parent)
    temp = target.with_name(f".{target.name}.part")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def file_path(stored_name: str) -> Path:
    if not _STORED.fullmatch(stored_name):  # only names this module made
        raise UploadNotFound(stored_name)
    return get_settings().uploads_dir / stored_name


async def _within_daily_quota(owner_id: int, size: int, quota: int) -> None:
    """Refuse (429) what would take the account past ``quota`` bytes in 24 hours."""
    if quota <= 0:
        return
    since = datetime.now(timezone.utc) - timedelta(days=1)
    rows = await Upload.select(Upload.size).where((Upload.owner == owner_id) & (Upload.created_at >= since))
    if sum(r["size"] for r in rows) + size > quota:
        raise UploadRejected(
            "daily_quota",
            f"本账号 24 小时内上传的材料已超过 {max_size_label(quota)} 上限，请稍后再试，或到信用中心窗口办理",
            429,
        )


async def store_upload(
    source: _Readable | bytes | AsyncIterable[bytes],
    *,
    owner_id: int,
    purpose: str,
    subject_id: int | None = None,
    original_name: str | None = None,
) -> dict:
    """Check and keep one document; returns public_view() of the new row plus its ``id``.

    ``source``: a Litestar UploadFile (or anything with ``async read(n)`` and ``filename``), an
    async iterable of byte chunks, or bytes. Raises UploadRejected. Runs inside the caller's
    transaction if there is one; the file is then kept only if that transaction commits (a
    rolled-back row leaves an orphan file that sweep() removes).
    """
    if purpose not in UploadPurpose.ALL:
        raise UploadRejected("invalid_purpose", "请选择正确的材料类型")
    settings = get_settings()
    data = await _read_limited(source, settings.upload_max_bytes)
    await _within_daily_quota(owner_id, len(data), settings.upload_daily_bytes)
    try:
        found: Sniffed = await anyio.to_thread.run_sync(lambda: sniff(data, max_pixels=settings.upload_max_pixels))
    except SniffError as exc:
        status = 415 if exc.code == "unsupported_type" else 400
        raise UploadRejected(exc.code, exc.message, status) from None
    name = secrets.token_urlsafe(24)
    stored_name = f"{name[:2]}/{name}"
    path = file_path(stored_name)
    await anyio.to_thread.run_sync(_write_atomically, path, data)
    row = Upload(
        token=secrets.token_urlsafe(24),
        owner=owner_id,
        subject=subject_id,
        purpose=purpose,
        media_type=found.media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        stored_name=stored_name,
        original_name=clean_filename(original_name if original_name is not None else getattr(source, "filename", "")),
        created_at=datetime.now(timezone.utc),
    )
    try:
        await row.save()
    except BaseException:
        path.unlink(missing_ok=True)  # row and file stand or fall together
        raise
    # No file names in the log: they may carry personal data.
    log.info(
        "upload stored id=%s purpose=%s type=%s size=%d sha256=%s",
        row.id,
        purpose,
        row.media_type,
        row.size,
        row.sha256,
    )
    return {"id": row.id, **public_view(row.to_dict())}


def public_view(row: dict) -> dict:
    """What a client may see about an upload it can access (no id, no stored name)."""
    return {
        "token": row["token"],
        "url": f"/uploads/{row['token']}",
        "purpose": row["purpose"],
        "purpose_label": UploadPurpose.LABELS.get(row["purpose"], row["purpose"]),
        "media_type": row["media_type"],
        "size": row["size"],
        "sha256": row["sha256"],
        "original_name": row["original_name"],
    }


async def _one(*where) -> dict | None:
    return await Upload.select(*_COLUMNS).where(*where).first()


async def get_by_id(upload_id: int) -> dict | None:
    """Internal lookup for domain code (e.g. the audit entry's SHA-256)."""
    return await _one(Upload.id == upload_id)


async def get_owned(token: str, owner_id: int, purpose: str | None = None) -> dict | None:
    """The caller's own upload by token (a form that refers to a file uploaded earlier), else None."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    row = await _one(Upload.token == token, Upload.owner == owner_id)
    return row if row and (purpose is None or row["purpose"] == purpose) else None


async def attach_subject(upload_id: int, subject_id: int) -> None:
    """Record the subject the document concerns; that subject's accounts may then read it.
    An upload concerns one subject only: re-pointing it would hand it to somebody else."""
    updated = (
        await Upload.update({Upload.subject: subject_id})
        .where(Upload.id == upload_id, (Upload.subject.is_null()) | (Upload.subject == subject_id))
        .returning(Upload.id)
    )
    if not updated:
        exists = await Upload.exists().where(Upload.id == upload_id)
        if not exists:
            raise UploadNotFound(upload_id)
        raise UploadRejected("subject_conflict", "该文件已关联其他信用主体", 409)


def can_access(row: dict, principal: Principal | None) -> bool:
    """Uploader, an account of the subject concerned, or reviewing staff (issue 3 §4)."""
    if principal is None:
        return False
    if principal.account_id == row["owner"] or principal.role == Role.STAFF:
        return True
    return row["subject"] is not None and principal.subject_id == row["subject"]


async def get_for_download(token: str, principal: Principal | None, granted: bool = False) -> tuple[dict, Path]:
    """The row and file for ``principal``, or UploadNotFound — also when access is refused, so
    that a stranger cannot learn whether a token exists (404, not 403). ``granted``: the calling
    domain decided access itself (the providing agency reading an objection's evidence, R-23)."""
    if principal is None or not _TOKEN.fullmatch(token or ""):
        raise UploadNotFound(token)
    row = await _one(Upload.token == token)
    if row is None or not (granted or can_access(row, principal)):
        raise UploadNotFound(token)
    path = file_path(row["stored_name"])
    if not path.is_file():
        log.error("upload file missing id=%s", row["id"])
        raise UploadNotFound(token)
    if principal.role == Role.STAFF and principal.account_id != row["owner"]:
        await _record_staff_review(row, principal)  # before the file leaves; AuditUnavailable → 503
    return row, path


async def _record_staff_review(row: dict, principal: Principal) -> None:
    """Staff opening someone's identity document, licence or letter is on record (R-28, SPEC §5):
    the subject sees it in 谁查询了我; an access entry raises no query count (R-19)."""
    subject = await load_subject(row["subject"]) if row["subject"] is not None else None
    label = UploadPurpose.LABELS.get(row["purpose"], "附件")
    await record(
        QueryEvent(
            requester_account=principal.username,
            requester_role=principal.role,
            requester_org=principal.organisation,
            method=Method.STAFF_REVIEW,
            reason_code=row["purpose"],
            reason_text=f"下载{label}",
            subject_ref=subject_ref(subject) if subject else f"upload:{row['id']}",
            subject_label=subject_label(subject) if subject else "（材料尚未关联信用主体）",
            scope=f"document:{row['purpose']}",
            authority_ref=f"upload:{row['id']}",
            authority_sha256=row["sha256"],
            request_id=uuid.uuid4().hex,
        )
    )


def _sweep_files(known: set[str], older_than: float) -> int:
    root = get_settings().uploads_dir
    if not root.is_dir():
        return 0
    cutoff, removed = time.time() - older_than, 0
    for path in root.glob("*/*"):
        rel = f"{path.parent.name}/{path.name}"
        stale = path.name.endswith(".part") or rel not in known
        if stale and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


async def sweep(older_than: float = 3600) -> int:
    """Remove temp files and files without a row (a crash, a rolled-back caller) older than
    ``older_than`` seconds. Returns how many were removed."""
    known = {r["stored_name"] for r in await Upload.select(Upload.stored_name)}
    return await anyio.to_thread.run_sync(_sweep_files, known, older_than)
