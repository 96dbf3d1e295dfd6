"""Self-service password reset by e-mailed link (R-14): the link arrives through a real SMTP server
(aiosmtpd), works once for 30 minutes, the answer never tells whether an account exists, and the
requests are throttled per client address and per account."""

from __future__ import annotations

import logging
import re
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from portal.accounts import forgot, recovery, throttle
from portal.accounts.tables import Account, Session
from portal.notices.tables import MailOutbox, Notice
from portal.settings import get_settings
from tests import factories as f
from tests.integration.test_notices import _address, _undelivered, _verified, smtp  # noqa: F401

pytestmark = pytest.mark.anyio

BASE = "https://credit.example.gov.cn"
NEW = "Neu-Passw0rt!x"
LINK = re.compile(r"(https?://\S+/password/reset/\S+)")


@pytest.fixture
def mailed(smtp, monkeypatch):  # noqa: F811
    """A running SMTP server and a public base URL (links never use the request's Host)."""
    monkeypatch.setenv("PORTAL_BASE_URL", BASE)
    get_settings.cache_clear()
    smtp.start()
    return smtp


@pytest.fixture(autouse=True)
async def fresh_address_bucket():
    await throttle.clear(throttle.address_key("pwmail:testclient"))


async def _ask(client, identifier: str):
    page = await client.get("/password/forgot")
    token = page.cookies.get("csrftoken") or client.cookies.get("csrftoken")
    return await client.post("/password/forgot", data={"identifier": identifier, "_csrf_token": token})


def _answer(response) -> str:
    return re.search(r'<p class="notice" role="status">([^<]*)</p>', response.text).group(1)


async def _set(client, path: str, password: str = NEW):
    token = client.cookies.get("csrftoken")
    return await client.post(
        path, data={"password": password, "password2": password, "_csrf_token": token}, follow_redirects=False
    )


async def test_emailed_link_works_once_and_a_newer_one_kills_the_older(client, mailed, caplog):
    """Build item 2 (password reset by e-mailed link): login page link, queued not sent inline,
    public base URL, single use, older link dead once a newer one is used, sessions ended, inbox told."""
    caplog.set_level(logging.INFO)
    await _undelivered()
    me = await f.account("citizen")
    address = _address()
    await _verified(me["id"], address)
    assert 'href="/password/forgot"' in (await client.get("/login")).text
    assert (await f.login(client, me["username"])).status_code == 303

    first = await _ask(client, me["username"].upper())
    assert first.status_code == 200 and _answer(first) == forgot.ANSWER
    assert mailed.to(address) == []  # queued in the outbox, never sent inside the request
    second = await _ask(client, address.upper())  # by the verified address this time
    assert _answer(second) == forgot.ANSWER
    assert await MailOutbox.count().where(MailOutbox.recipient == address) == 2

    from portal.notices import mail

    assert (await mail.drain())["sent"] == 2
    links = [LINK.search(body).group(1) for subject, body in mailed.to(address) if "重置" in subject]
    assert len(links) == 2 and all(link.startswith(f"{BASE}/password/reset/") for link in links)
    older, newer = (link.removeprefix(BASE) for link in links)
    assert all(link.rsplit("/", 1)[1] not in caplog.text for link in links)  # never logged

    page = await client.get(newer)
    assert page.status_code == 200 and f'action="{newer}"' in page.text
    weak = await _set(client, newer, "short")
    assert weak.status_code == 400  # the counter reset's validation
    done = await _set(client, newer)
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"

    assert not await Session.exists().where(Session.account == me["id"])  # every session ended
    assert (await client.get("/account", follow_redirects=False)).status_code in (302, 303)
    assert await Notice.exists().where((Notice.account == me["id"]) & (Notice.title == "您的登录密码已重置"))

    again = await client.get(newer)
    assert again.status_code == 400 and forgot.MAIL.invalid in again.text
    assert (await _set(client, newer, "Ander-Passw0rt!y")).status_code == 400
    assert (await client.get(older)).status_code == 400  # bound to the old password: dead too
    assert (await _set(client, older, "Ander-Passw0rt!y")).status_code == 400
    assert (await f.login(client, me["username"], NEW)).status_code == 303


async def test_link_older_than_30_minutes_is_refused_and_salts_are_distinct(client):
    """Build item 2: valid 30 minutes; an e-mailed link is not a counter link, nor the reverse."""
    me = await f.account("citizen")
    row = await Account.select(Account.password_hash).where(Account.id == me["id"]).first()
    serializer = URLSafeTimedSerializer(get_settings().secret_key, salt=forgot.MAIL.salt)
    payload = {"a": me["id"], "h": recovery._fingerprint(row["password_hash"])}

    def signed_ago(minutes: int) -> str:
        signer = serializer.make_signer(forgot.MAIL.salt)
        signer.get_timestamp = lambda: int(time.time()) - minutes * 60
        return signer.sign(serializer.dump_payload(payload)).decode()

    assert (await client.get(f"/password/reset/{signed_ago(29)}")).status_code == 200
    expired = await client.get(f"/password/reset/{signed_ago(31)}")
    assert expired.status_code == 400 and forgot.MAIL.invalid in expired.text
    assert (await _set(client, f"/password/reset/{signed_ago(31)}")).status_code == 400

    counter = recovery.sign(recovery.COUNTER, me["id"], row["password_hash"])
    assert (await client.get(f"/password/reset/{counter}")).status_code == 400
    mailed_token = recovery.sign(forgot.MAIL, me["id"], row["password_hash"])
    assert (await client.get(f"/reset/{mailed_token}")).status_code == 400
    assert (await client.get(f"/password/reset/{mailed_token}")).status_code == 200


async def test_same_answer_and_no_mail_for_unknown_or_unverified_accounts(client, mailed):
    """Build item 2: the answer never tells whether an account exists or has a verified address."""
    await _undelivered()
    known = await f.account("citizen")
    await _verified(known["id"], _address())
    unverified = await f.account("citizen")
    before = await MailOutbox.count()

    answers = []
    for identifier in ("nobody-here-" + _address()[:8], _address(), unverified["username"]):
        r = await _ask(client, identifier)
        answers.append((r.status_code, _answer(r)))
    assert await MailOutbox.count() == before
    r = await _ask(client, known["username"])
    assert await MailOutbox.count() == before + 1
    assert set(answers) == {(r.status_code, _answer(r))} == {(200, forgot.ANSWER)}
    assert (await _ask(client, "   ")).status_code == 400


async def test_requests_are_throttled_per_account_and_per_address(client, mailed):
    """Build item 2: no mail-bombing: an account's requests slow down after a few (known or not,
    the same), and one client address gets a bounded number per window."""
    await _undelivered()
    me = await f.account("citizen")
    address = _address()
    await _verified(me["id"], address)
    codes = [(await _ask(client, me["username"])).status_code for _ in range(8)]
    assert 429 in codes and set(codes) == {200, 429}
    assert await MailOutbox.count().where(MailOutbox.recipient == address) == codes.count(200) < 8
    refused = await _ask(client, address)  # by the address: the same account's counter
    assert refused.status_code == 429 and "请求过于频繁" in refused.text and refused.headers["retry-after"]

    unknown = [(await _ask(client, "ghost-account-x")).status_code for _ in range(8)]
    assert 429 in unknown  # an unknown name is throttled alike: no tell

    await throttle.clear(throttle.address_key("pwmail:testclient"))
    limit = get_settings().login_address_failures
    codes = [(await _ask(client, f"someone-{i}")).status_code for i in range(limit + 1)]
    assert codes[:limit] == [200] * limit and codes[limit] == 429
