"""承诺书范本 (R-P1): one standard text per domain of Z105 第七条, kept by credit-centre staff in
versions. A change never rewrites a text: it adds the next version and makes it current, so every
signed commitment keeps pointing at the words it was signed under (R-11: history kept)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from piccolo.engine.sqlite import TransactionType

from portal.accounts.sessions import Principal
from portal.products.commitments.tables import CommitmentDomain, CommitmentText

__all__ = ["TextError", "digest", "current_texts", "current_for", "text_by_id", "history", "new_version"]

T = CommitmentText
_COLUMNS = (T.id, T.domain, T.version, T.title, T.body, T.text_sha256, T.is_current, T.note, T.created_at)
TITLE_MAX = 200
BODY_MAX = 10_000


class TextError(ValueError):
    """Staff input that cannot be used; the message is Chinese."""


def digest(title: str, body: str) -> str:
    """SHA-256 of the text as a subject reads and signs it (title, blank line, body)."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def _transaction():
    db = T._meta.db
    if db.engine_type == "sqlite":
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


async def current_texts() -> list[dict]:
    """The current version of every domain, in the order of Z105 第七条."""
    rows = {r["domain"]: r for r in await T.select(*_COLUMNS).where(T.is_current == True)}  # noqa: E712
    return [{**rows[d], "domain_label": label} for d, label in CommitmentDomain.LABELS.items() if d in rows]


async def current_for(domain: str) -> dict | None:
    if domain not in CommitmentDomain.LABELS:
        return None
    return await T.select(*_COLUMNS).where((T.domain == domain) & (T.is_current == True)).first()  # noqa: E712


async def text_by_id(text_id: int) -> dict | None:
    row = await T.select(*_COLUMNS, T.created_by.username.as_alias("author")).where(T.id == text_id).first()
    if row:
        row["domain_label"] = CommitmentDomain.LABELS.get(row["domain"], row["domain"])
    return row


async def history(domain: str) -> list[dict]:
    """Every version of a domain's text, newest first, with who made it."""
    return (
        await T.select(*_COLUMNS, T.created_by.username.as_alias("author"))
        .where(T.domain == domain)
        .order_by(T.version, ascending=False)
    )


def _clean(title: str, body: str, note: str) -> tuple[str, str, str]:
    title, body, note = title.strip(), body.replace("\r\n", "\n").strip(), note.strip()
    if not title or len(title) > TITLE_MAX:
        raise TextError(f"请填写承诺书标题（{TITLE_MAX}字以内）")
    if not body or len(body) > BODY_MAX:
        raise TextError(f"请填写承诺书正文（{BODY_MAX}字以内）")
    # R-P1 (KS 第六条): a commitment covers credit status, truth of materials and liability.
    if not all(word in body for word in ("信用状况", "真实", "责任")):
        raise TextError("正文须包含对信用状况、申请材料真实性和违背承诺责任的承诺")
    if not note or len(note) > 500:
        raise TextError("请写明修订理由（500字以内）")
    return title, body, note


async def new_version(p: Principal, domain: str, title: str, body: str, note: str) -> int:
    """The next version of a domain's text, made current; the previous one stays as it was."""
    if domain not in CommitmentDomain.LABELS:
        raise TextError("没有这个应用领域")
    title, body, note = _clean(title, body, note)
    async with _transaction():
        last = (
            await T.select(T.version, T.text_sha256)
            .where(T.domain == domain)
            .order_by(T.version, ascending=False)
            .first()
        )
        if last and last["text_sha256"] == digest(title, body):
            raise TextError("内容与现行版本相同，无需修订")
        await T.update({T.is_current: False}).where(T.domain == domain)
        row = T(
            domain=domain,
            version=(last["version"] if last else 0) + 1,
            title=title,
            body=body,
            text_sha256=digest(title, body),
            is_current=True,
            note=note,
            created_by=p.account_id,
            created_at=datetime.now(timezone.utc),
        )
        await row.save()
    return row.id
