"""THE interface the portal uses to append to the audit log and to read a subject's own history.

    from audit.recorder import QueryEvent, AuditUnavailable, record
    receipt = await record(QueryEvent(...))   # returns after the entry is durably committed (R-19)

Appends are committed by the audit writer process (``audit.writer``; this process's child unless
``AUDIT_WRITER_SOCKET`` names one run as a service), reached through ``audit.client``; reads of a
subject's own history go to the store directly.

Fail closed (issue 3 item 6): if the writer or the store is down, not writable, or the append does not
commit within ``AUDIT_TIMEOUT_SECONDS``, ``record`` raises ``AuditUnavailable`` and the portal must
disclose nothing (503). A timed-out append is withdrawn if the writer has not yet inserted it (checked
after the chain lock is taken); only one caught mid-COMMIT may still land, so the log can hold an entry
for a request answered with 503, never the reverse.

``disclosure_recipients`` (R-19, R-24) lists who was shown a subject's record since a time (correction
notices); see ``audit/recipients.py``.

``subject_query_count`` (R-19 "累计查询次数") counts the subject's *allowed* disclosures, this one
included; refused attempts are recorded as entries and counted separately (``subject_count``) but do
not raise it, so the number a subject sees is how often its information was actually disclosed.
Access entries (methods in ``events.ACCESS_METHODS``: staff reviews, owner views, auditor views)
are recorded and shown in the subject's history but never raise either count: R-19 counts queries.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime

from audit.client import WriterClient
from audit.events import ALLOWED, METHODS, ROLES, AuditUnavailable, QueryEvent, Receipt, prepare
from audit.settings import AuditSettings, get_settings
from audit.store import Store

__all__ = [
    "ALLOWED",
    "METHODS",
    "ROLES",
    "AuditUnavailable",
    "QueryEvent",
    "Receipt",
    "Recorder",
    "SubjectCount",
    "configure",
    "disclosure_recipients",
    "get_recorder",
    "record",
    "record_sync",
    "subject_count",
    "subject_history",
]


@dataclass(frozen=True)
class SubjectCount:
    allowed: int  # R-19 cumulative query count (disclosures)
    refused: int  # refused attempts, recorded too


class Recorder:
    """Appends and own-history reads for one process; usable from any event loop or thread."""

    def __init__(self, settings: AuditSettings | None = None) -> None:
        self.settings = settings or get_settings()
        self.writer = WriterClient(self.settings)
        self.store = Store(self.settings, role="writer")

    async def record(self, event: QueryEvent) -> Receipt:
        return await self.writer.record(prepare(event))

    def record_sync(self, event: QueryEvent) -> Receipt:
        """For synchronous callers (threads, scripts); never call it on a running event loop."""
        return self.writer.record_sync(prepare(event))

    def start(self) -> None:
        """Start the writer now rather than on the first append (blocking; app start-up)."""
        self.writer.socket_path()

    async def subject_history(self, subject_ref: str, after_seq: int | None = None, limit: int = 20) -> list[dict]:
        from audit.service import subject_history_query

        return await self.store.run(lambda conn: subject_history_query(conn, subject_ref, after_seq, limit))

    async def subject_count(self, subject_ref: str) -> SubjectCount:
        row = await self.store.run(
            lambda conn: conn.fetchrow(
                "SELECT allowed_count, refused_count FROM subject_counts WHERE subject_ref = $1", subject_ref
            )
        )
        return SubjectCount(allowed=int(row[0]), refused=int(row[1])) if row else SubjectCount(0, 0)

    async def disclosure_recipients(
        self, subject_ref: str, since: datetime, record_class: str, category: str | None = None
    ) -> list[dict]:
        from audit.recipients import recipients_query

        return await self.store.run(lambda conn: recipients_query(conn, subject_ref, since, record_class, category))

    def close(self) -> None:
        self.writer.close()
        self.store.close()


_default: Recorder | None = None
_default_pid = 0
_lock = threading.Lock()


def get_recorder() -> Recorder:
    """The process's recorder, made on first use (and again in a forked child)."""
    global _default, _default_pid
    with _lock:
        if _default is None or _default_pid != os.getpid():
            _default, _default_pid = Recorder(), os.getpid()
        return _default


def configure(settings: AuditSettings | None) -> Recorder:
    """Replace the process's recorder (tests; an app wiring explicit settings)."""
    global _default, _default_pid
    with _lock:
        old, _default, _default_pid = _default, Recorder(settings), os.getpid()
    if old is not None and _default_pid == os.getpid():
        old.close()
    return _default


async def record(event: QueryEvent) -> Receipt:
    """Append ``event``; return after it is durably committed. Raises ``AuditUnavailable``."""
    return await get_recorder().record(event)


def record_sync(event: QueryEvent) -> Receipt:
    return get_recorder().record_sync(event)


async def subject_history(subject_ref: str, after_seq: int | None = None, limit: int = 20) -> list[dict]:
    """The subject's own "谁查询了我" rows, newest first: time, organisation, method, reason, outcome.

    Only rows of ``subject_ref``; no requester account ids. Page with ``after_seq`` = last row's seq.
    """
    return await get_recorder().subject_history(subject_ref, after_seq, limit)


async def subject_count(subject_ref: str) -> SubjectCount:
    return await get_recorder().subject_count(subject_ref)


async def disclosure_recipients(
    subject_ref: str, since: datetime, record_class: str, category: str | None = None
) -> list[dict]:
    """Who received an allowed disclosure of this subject at or after ``since`` (aware) whose scope
    covered a record of ``record_class`` (and, for "C", ``category``; ``None`` = any): one dict per
    (requester_account, requester_role, requester_org) with ``methods``, ``first_at``, ``last_at``,
    ``count``. Query methods only; refusals and access views are left out. The subject's own queries
    are included: the caller drops its own accounts. See ``audit/recipients.py`` (R-19, R-24)."""
    return await get_recorder().disclosure_recipients(subject_ref, since, record_class, category)
