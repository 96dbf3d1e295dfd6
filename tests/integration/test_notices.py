"""Notices: the inbox and its unread count, e-mail through a real SMTP server (aiosmtpd) via the
outbox, address verification by code, and the authorisation notices (R-18)."""

from __future__ import annotations

import re
import socket
import uuid
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from portal.authorizations import service as authorizations
from portal.notices import mail, service
from portal.notices.tables import MailOutbox, Notice, NoticeEmail
from portal.settings import get_settings
from portal.uploads.tables import Upload
from tests import factories as f

pytestmark = pytest.mark.anyio


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, msg["Subject"], msg.get_content()))
        return "250 OK"


class _Smtp:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = _Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()

    def to(self, address: str) -> list[tuple[str, str]]:
        return [(subject, body) for rcpt, subject, body in self.inbox.messages if address in rcpt]


@pytest.fixture
def smtp(monkeypatch):
    """An SMTP server address the portal is configured with; the test decides when it runs."""
    server = _Smtp(_free_port())
    for name, value in {
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_PORT": str(server.port),
        "PORTAL_SMTP_FROM": "noreply@credit.example.gov.cn",
        "PORTAL_SMTP_STARTTLS": "off",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield server
    server.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


async def _undelivered() -> None:
    """Earlier tests' rows must not count here: mark them sent (the outbox is shared)."""
    await MailOutbox.update({MailOutbox.sent_at: datetime.now(timezone.utc)}).where(MailOutbox.sent_at.is_null())


def _address() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.cn"


async def _verified(account_id: int, address: str) -> None:
    await NoticeEmail(account=account_id, address=address, verified_at=datetime.now(timezone.utc)).save()


async def _csrf(client) -> str:
    await client.get("/notices")
    return client.cookies.get("csrftoken")


async def test_inbox_unread_count_keyset_pages_and_mark_read(client, app):
    """Observation: every account has an inbox; the header loads the unread count by htmx."""
    person = await f.natural_subject()
    me = await f.account("citizen", subject_id=person["id"])
    other = await f.account("citizen")
    for i in range(25):
        await service.notify(me["id"], "authorization", f"通知{i:02d}", "正文")
    assert (await f.login(client, me["username"])).status_code == 303

    home = await client.get("/account")
    assert 'hx-get="/notices/unread"' in home.text
    assert "25" in (await client.get("/notices/unread")).text

    first = await client.get("/notices")
    titles = re.findall(r"通知(\d\d)", first.text)
    assert titles[:3] == ["24", "23", "22"] and len(set(titles)) == 20
    cursor = re.search(r'/notices\?cursor=([^"]+)"', first.text).group(1)
    second = await client.get(f"/notices?cursor={cursor}")
    assert sorted(set(re.findall(r"通知(\d\d)", second.text))) == ["00", "01", "02", "03", "04"]
    assert (await client.get("/notices?cursor=%%%")).status_code == 400
    assert await service.unread_count(me["id"]) == 25  # reading the pages changed nothing

    newest = (
        await Notice.select(Notice.id).where(Notice.account == me["id"]).order_by(Notice.id, ascending=False).first()
    )["id"]
    token = await _csrf(client)
    r = await client.post(f"/notices/{newest}/read", data={"_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert "24" in (await client.get("/notices/unread")).text

    theirs = await service.notify(other["id"], "authorization", "别人的通知", "")
    await client.post(f"/notices/{theirs}/read", data={"_csrf_token": token}, follow_redirects=False)
    assert await service.unread_count(other["id"]) == 1  # not mine to mark

    await client.post("/notices/read-all", data={"_csrf_token": token}, follow_redirects=False)
    assert await service.unread_count(me["id"]) == 0
    assert "无未读" in (await client.get("/notices/unread")).text


async def test_without_smtp_the_inbox_works_and_nothing_is_queued(client):
    get_settings.cache_clear()
    assert not get_settings().mail_enabled
    me = await f.account("citizen")
    await _verified(me["id"], _address())
    before = await MailOutbox.count()
    await service.notify(me["id"], "authorization", "无邮件", "")
    assert await MailOutbox.count() == before
    assert await service.unread_count(me["id"]) == 1
    assert (await mail.drain())["off"] is True


async def test_address_verified_by_emailed_code_then_notices_arrive_by_smtp(client, smtp):
    """A real SMTP server receives the code and a notice; wrong codes are refused."""
    smtp.start()
    await _undelivered()
    me = await f.account("citizen")
    address = _address()
    assert (await f.login(client, me["username"])).status_code == 303
    token = await _csrf(client)

    r = await client.post("/account/email", data={"address": address, "_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303  # the request only queued the code
    assert smtp.to(address) == []
    assert (await mail.drain())["sent"] == 1
    [(subject, body)] = smtp.to(address)
    assert "验证码" in subject
    code = re.search(r"\b(\d{6})\b", body).group(1)
    stored = await NoticeEmail.select().where(NoticeEmail.account == me["id"]).first()
    assert code not in str(stored) and stored["verified_at"] is None  # only a hash of the code is kept

    wrong = "000000" if code != "000000" else "111111"
    bad = await client.post("/account/email/verify", data={"code": wrong, "_csrf_token": token})
    assert bad.status_code == 400 and "验证码不正确" in bad.text
    ok = await client.post("/account/email/verify", data={"code": code, "_csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert "邮箱已验证" in (await client.get("/account/notices?done=verified")).text

    await service.notify(me["id"], "authorization", "测试机构 申请查询您的信用信息", "请核对。", "/me/authorizations")
    assert (await mail.drain())["sent"] == 1
    assert any("测试机构 申请查询您的信用信息" in s for s, _ in smtp.to(address))

    # E-mail switched off for the kind: the inbox still gets it, nothing is queued.
    await client.post("/account/notice-preferences", data={"_csrf_token": token}, follow_redirects=False)
    queued = await MailOutbox.count()
    await service.notify(me["id"], "authorization", "只在站内", "")
    for kind in ("verification", "credit_report", "commitment", "objection"):  # every kind can be switched off
        await service.notify(me["id"], kind, f"只在站内（{kind}）", "")
    assert await MailOutbox.count() == queued
    assert await Notice.exists().where((Notice.account == me["id"]) & (Notice.title == "只在站内"))


async def test_code_allows_five_tries_and_expires(smtp):
    smtp.start()
    await _undelivered()
    me = await f.account("citizen")
    address = _address()
    await service.request_address(me["id"], address)
    await mail.drain()
    code = re.search(r"\b(\d{6})\b", smtp.to(address)[-1][1]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(service.CODE_TRIES):
        with pytest.raises(service.NoticeError, match="验证码不正确"):
            await service.verify_code(me["id"], wrong)
    with pytest.raises(service.NoticeError, match="没有有效的验证码"):
        await service.verify_code(me["id"], code)  # the right code, after five wrong tries

    await service.request_address(me["id"], address)
    await mail.drain()
    code = re.search(r"\b(\d{6})\b", smtp.to(address)[-1][1]).group(1)
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    await NoticeEmail.update({NoticeEmail.code_expires_at: past}).where(NoticeEmail.account == me["id"])
    with pytest.raises(service.NoticeError, match="过期"):
        await service.verify_code(me["id"], code)


async def test_unreachable_smtp_server_loses_no_notice(smtp):
    """The notice stays in the outbox with its error and is sent once the server is up."""
    await _undelivered()
    me = await f.account("citizen")
    address = _address()
    await _verified(me["id"], address)
    await service.notify(me["id"], "authorization", "服务器恢复后送达", "正文")

    result = await mail.drain()
    assert result == {"sent": 0, "failed": 1, "off": False}
    row = await MailOutbox.select().where(MailOutbox.recipient == address).first()
    assert row["sent_at"] is None and row["attempts"] == 1 and row["last_error"]
    assert row["next_attempt_at"] > datetime.now(timezone.utc)  # backed off, not hammered

    smtp.start()
    assert (await mail.drain())["sent"] == 0  # not due yet
    later = datetime.now(timezone.utc) + mail.backoff(1) + timedelta(seconds=1)
    assert (await mail.drain(now=later))["sent"] == 1
    assert [s for s, _ in smtp.to(address)] == ["【信用郑州】服务器恢复后送达"]
    row = await MailOutbox.select().where(MailOutbox.recipient == address).first()
    assert row["sent_at"] is not None and row["attempts"] == 2


async def _letter(owner_id: int) -> int:
    token = uuid.uuid4().hex
    row = Upload(
        token=token,
        owner=owner_id,
        purpose="authorization_letter",
        media_type="application/pdf",
        size=10,
        sha256="0" * 64,
        stored_name=token,
        created_at=datetime.now(timezone.utc),
    )
    await row.save()
    return row.id


async def _titles(account_id: int) -> list[str]:
    rows = await Notice.select(Notice.title).where(Notice.account == account_id).order_by(Notice.id)
    return [r["title"] for r in rows]


async def test_subject_is_told_of_requests_decisions_and_revocation():
    """R-18: each of the subject's accounts is told when a third party files a request about it,
    and when one is approved, refused or revoked; the requester is not sent the subject's notices."""
    company = await f.legal_subject()
    owners = [await f.proven("enterprise", subject_id=company["id"]) for _ in range(2)]
    requester = await f.proven("third_party")
    staff = await f.account("staff")
    req = {"id": requester["id"], "role": "third_party", "organisation": requester["organisation"], "display_name": ""}

    async def filed() -> int:
        filing = authorizations.Filing(
            subject_kind="legal",
            uscc=company["uscc"],
            reason_code="credit_report",
            valid_from=date.today(),
            valid_until=date.today() + timedelta(days=30),
            letter_id=await _letter(requester["id"]),
        )
        return await authorizations.file_request(req, filing)

    org = requester["organisation"]
    first = await filed()
    await authorizations.decide_by_subject({"id": owners[0]["id"], "subject": company["id"]}, first, True)
    await authorizations.revoke({"id": owners[0]["id"], "subject": company["id"]}, first)
    second = await filed()
    await authorizations.decide_by_staff(staff["id"], second, False)
    expected = [
        f"{org} 申请查询您的信用信息",
        f"{org} 的授权查询申请已生效",
        f"您已撤销对 {org} 的查询授权",
        f"{org} 申请查询您的信用信息",
        f"{org} 的授权查询申请已被拒绝",
    ]
    for owner in owners:
        assert await _titles(owner["id"]) == expected
    assert await _titles(requester["id"]) == []

    # A refused change tells nobody: the notice is written with the change or not at all.
    with pytest.raises(authorizations.AuthorizationError):
        await authorizations.decide_by_staff(staff["id"], second, True)
    assert len(await _titles(owners[0]["id"])) == len(expected)


async def test_notify_joins_the_callers_transaction(smtp):
    """The inbox row and the outbox row commit or roll back with the caller's change."""
    me = await f.account("citizen")
    address = _address()
    await _verified(me["id"], address)

    class Undone(Exception):
        pass

    with pytest.raises(Undone):
        async with Notice._meta.db.transaction():
            await service.notify(me["id"], "authorization", "回滚", "")
            raise Undone
    assert await service.unread_count(me["id"]) == 0
    assert not await MailOutbox.exists().where(MailOutbox.recipient == address)


async def test_the_housekeeping_job_drains_the_outbox(smtp):
    """The scheduler's send-mail job (every minute) is what sends a queued notice."""
    from portal.housekeeping.jobs import DEFAULT_JOBS

    [job] = [j for j in DEFAULT_JOBS if j.name == "send-mail"]
    assert job.every.total_seconds() == 60
    smtp.start()
    await _undelivered()
    me = await f.account("citizen")
    address = _address()
    await _verified(me["id"], address)
    await service.notify(me["id"], "authorization", "由例行任务发送", "")
    assert await job.run() == "sent: 1, failed: 0"
    assert [s for s, _ in smtp.to(address)] == ["【信用郑州】由例行任务发送"]
