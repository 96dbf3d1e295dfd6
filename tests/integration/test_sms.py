"""The SMS channel: a mobile number verified by a code sent through the SMS outbox and the log
backend, SMS notices per kind, retries through a plugged-in provider, and SMS switched off."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

import pytest

from portal.notices import outbox, phone, service, sms
from portal.notices.tables import NoticePhone, SmsOutbox
from portal.settings import SettingsError, get_settings
from tests import factories as f

pytestmark = pytest.mark.anyio

NUMBER = "13812341234"


class FlakyProvider:
    """Stands in for an outside SMS provider (not a portal component): down, then up."""

    up = False
    sent: list[tuple[str, str]] = []

    async def send(self, phone: str, text: str) -> None:
        if not FlakyProvider.up:
            raise ConnectionError("provider unreachable")
        FlakyProvider.sent.append((phone, text))


@pytest.fixture
def backend(monkeypatch):
    def use(name: str) -> None:
        monkeypatch.setenv("PORTAL_SMS_BACKEND", name)
        get_settings.cache_clear()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()


async def _undelivered() -> None:
    await SmsOutbox.update({SmsOutbox.sent_at: datetime.now(timezone.utc)}).where(SmsOutbox.sent_at.is_null())


def _sms_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "portal.sms"]


async def test_phone_verified_by_sms_code_then_notices_arrive_by_sms(client, caplog):
    """Build item 3 (phone number) and item 2 (log backend): the code goes through the outbox to the
    log with the number masked; wrong and malformed input refused; the owner alone sees the number."""
    caplog.set_level(logging.INFO, logger="portal.sms")
    await _undelivered()
    me = await f.account("citizen")
    assert (await f.login(client, me["username"])).status_code == 303
    await client.get("/account/notices")
    token = client.cookies.get("csrftoken")

    for bad in ("12812341234", "1381234123", "phone"):
        r = await client.post("/account/phone", data={"phone": bad, "_csrf_token": token})
        assert r.status_code == 400 and "有效的中国大陆手机号码" in r.text
    r = await client.post("/account/phone", data={"phone": NUMBER, "_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert _sms_lines(caplog) == []  # queued, not sent inside the request
    assert (await sms.drain())["sent"] == 1
    [line] = _sms_lines(caplog)
    assert "138****1234" in line and NUMBER not in caplog.text
    code = re.search(r"\b(\d{6})\b", line).group(1)
    stored = await NoticePhone.select().where(NoticePhone.account == me["id"]).first()
    assert code not in str(stored) and stored["verified_at"] is None  # only a hash of the code

    wrong = "000000" if code != "000000" else "111111"
    bad = await client.post("/account/phone/verify", data={"code": wrong, "_csrf_token": token})
    assert bad.status_code == 400 and "验证码不正确" in bad.text
    ok = await client.post("/account/phone/verify", data={"code": code, "_csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    page = await client.get("/account/notices?done=sms-verified")
    assert "手机号码已验证" in page.text and NUMBER in page.text  # the owner's own page

    other = await f.account("citizen")
    client.cookies.clear()
    assert (await f.login(client, other["username"])).status_code == 303
    assert NUMBER not in (await client.get("/account/notices")).text

    await service.notify(me["id"], "authorization", "测试机构 申请查询您的信用信息", "请核对。")
    assert (await sms.drain())["sent"] == 1
    assert "测试机构 申请查询您的信用信息" in _sms_lines(caplog)[-1]

    # SMS switched off for the kind (e-mail kept on): nothing queued, the inbox still gets it.
    await service.set_preferences(me["id"], {"authorization"}, set())
    off = {kind: False for kind in service.KINDS}  # every kind not named is switched off
    assert await service.preferences(me["id"], "sms") == off
    assert await service.preferences(me["id"]) == {**off, "authorization": True}
    queued = await SmsOutbox.count()
    await service.notify(me["id"], "authorization", "只在站内", "")
    assert await SmsOutbox.count() == queued


async def test_sms_code_allows_five_tries_and_expires():
    """Build item 3: the e-mail code's rules (hashed, five tries, 30 minutes)."""
    me = await f.account("citizen")
    await phone.request_phone(me["id"], "139 0000 1111")
    state = await phone.phone_state(me["id"])
    assert state["pending_phone"] == "13900001111" and state["code_expires_at"] is not None
    for _ in range(service.CODE_TRIES):
        with pytest.raises(service.NoticeError, match="验证码不正确"):
            await phone.verify_phone(me["id"], "abcdef")
    with pytest.raises(service.NoticeError, match="没有有效的验证码"):
        await phone.verify_phone(me["id"], "123456")

    await phone.request_phone(me["id"], "13900001111")
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    await NoticePhone.update({NoticePhone.code_expires_at: past}).where(NoticePhone.account == me["id"])
    with pytest.raises(service.NoticeError, match="过期"):
        await phone.verify_phone(me["id"], "123456")


async def test_a_plugged_in_provider_is_retried_until_it_answers(backend):
    """Build item 2: the outbox-with-retries pattern; PORTAL_SMS_BACKEND=module:Class plugs a provider."""
    backend(f"{__name__}:FlakyProvider")
    await _undelivered()
    FlakyProvider.up, FlakyProvider.sent = False, []
    await sms.enqueue("13700002222", "【信用郑州】重试")
    assert await sms.drain() == {"sent": 0, "failed": 1, "off": False}
    row = await SmsOutbox.select().where(SmsOutbox.phone == "13700002222").first()
    assert row["sent_at"] is None and row["attempts"] == 1 and "provider unreachable" in row["last_error"]
    FlakyProvider.up = True
    assert (await sms.drain())["sent"] == 0  # backed off, not hammered
    later = datetime.now(timezone.utc) + outbox.backoff(1) + timedelta(seconds=1)
    assert (await sms.drain(now=later))["sent"] == 1
    assert FlakyProvider.sent == [("13700002222", "【信用郑州】重试")]

    from portal.housekeeping.jobs import DEFAULT_JOBS

    [job] = [j for j in DEFAULT_JOBS if j.name == "send-sms"]
    assert job.every.total_seconds() == 60


async def test_sms_off_queues_nothing_and_bad_settings_refused(backend):
    """Build item 2: PORTAL_SMS_BACKEND=off; an unknown value stops the start."""
    me = await f.account("citizen")
    await NoticePhone(account=me["id"], phone="13600003333", verified_at=datetime.now(timezone.utc)).save()
    backend("off")
    with pytest.raises(service.NoticeError, match="尚未开通短信"):
        await phone.request_phone(me["id"], "13600003333")
    before = await SmsOutbox.count()
    await service.notify(me["id"], "authorization", "无短信", "")
    assert await SmsOutbox.count() == before and await service.unread_count(me["id"]) == 1
    assert (await sms.drain())["off"] is True
    backend("carrier-pigeon")
    with pytest.raises(SettingsError, match="PORTAL_SMS_BACKEND"):
        get_settings()
