"""The request path made cheaper without changing what pages say: data caches that follow every
write, SQLite reads on the event loop, gzip only where it pays (build item "honest speed")."""

from __future__ import annotations

import pytest

from portal.db import data_version, is_read
from portal.public import service as public
from portal.stats.tables import SiteStat
from portal.subjects.tables import Subject
from portal.web.shared_page import _PLACEHOLDER
from tests import factories as f

pytestmark = pytest.mark.anyio


def test_only_plain_reads_take_the_event_loop_path():
    assert is_read("SELECT 1") and is_read("  select * from subject")
    assert is_read("WITH x AS (SELECT 1) SELECT * FROM x")
    assert not is_read("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x")
    assert not is_read('INSERT INTO "subject" VALUES (1)') and not is_read("UPDATE subject SET name = 'x'")
    assert not is_read("PRAGMA data_version")


async def test_data_version_moves_with_every_committed_write(db):
    before = await data_version(db)
    await f.agency()
    after = await data_version(db)
    assert after != before
    async with db.transaction():
        await Subject.update({Subject.address: f.unique("地址")}).where(Subject.id == -1)
        await f.agency()
    assert await data_version(db) != after


async def test_a_read_sees_what_a_transaction_just_committed(db):
    name = f"河南读写{f.unique()}有限公司"
    async with db.transaction():
        subject = await f.legal_subject(name)
    rows = await Subject.select(Subject.name).where(Subject.id == subject["id"])
    assert rows == [{"name": name}]


async def test_home_counts_follow_a_write_at_once(client):
    first = await client.get("/")
    assert first.status_code == 200
    await SiteStat.update({SiteStat.value: 97531}).where(SiteStat.key == "red_list")
    second = await client.get("/")
    assert "97531" in second.text.replace(",", "")
    await SiteStat.update({SiteStat.value: 97532}).where(SiteStat.key == "red_list")
    assert "97532" in (await client.get("/")).text.replace(",", "")


async def test_profile_is_cached_between_writes_and_follows_a_write(client):
    subject = await f.legal_subject(f"河南缓存{f.unique()}科技有限公司")
    path = f"/subjects/{subject['uscc']}"
    first = await client.get(path)
    assert first.status_code == 200 and subject["name"] in first.text
    hits = public._profiles.hits
    again = await client.get(path)
    assert public._profiles.hits > hits  # nothing was written: served from the cache
    assert again.text.count(subject["name"]) == first.text.count(subject["name"])
    address = f.unique("郑州市新地址")
    await Subject.update({Subject.address: address}).where(Subject.id == subject["id"])
    assert address in (await client.get(path)).text


async def test_gzip_only_for_bodies_worth_it(client):
    page = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["vary"] and "Cookie" in page.headers["vary"]
    assert "公共信用信息查询" in page.text  # decoded by the client
    assert int(page.headers["content-length"]) < len(page.content)
    plain = await client.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == page.text
    tiny = await client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in tiny.headers and tiny.json() == {"status": "ok"}
    assert tiny.headers["x-frame-options"] == "DENY" and tiny.headers["cache-control"] == "no-cache"


async def test_shared_home_page_carries_each_visitors_own_csrf_token(app, client):
    from litestar.testing import AsyncTestClient

    from portal.settings import get_settings

    first = await client.get("/")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        second = await other.get("/")
        token_a = client.cookies.get(get_settings().csrf_cookie)
        token_b = other.cookies.get(get_settings().csrf_cookie)
    assert token_a and token_b and token_a != token_b
    assert f'"x-csrftoken": "{token_a}"' in first.text and token_b not in first.text
    assert f'"x-csrftoken": "{token_b}"' in second.text and token_a not in second.text
    assert _PLACEHOLDER not in first.text and _PLACEHOLDER not in second.text
    again = await client.get("/")
    assert f'"x-csrftoken": "{token_a}"' in again.text


async def test_a_logged_in_visitor_gets_their_own_home_page(client):
    account = await f.account("citizen")
    await f.login(client, account["username"])
    page = await client.get("/")
    assert "测试citizen" in page.text and page.headers["cache-control"] == "no-store"
    assert 'href="/me/records"' in page.text


async def test_public_pages_answer_304_to_a_matching_etag(client):
    subject = await f.legal_subject(f"河南标签{f.unique()}科技有限公司")
    for path in ("/", f"/subjects/{subject['uscc']}", "/lists/red"):
        page = await client.get(path)
        tag = page.headers["etag"]
        assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
        same = await client.get(path, headers={"If-None-Match": tag})
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == tag
        assert same.headers["content-security-policy"]  # still carries the security headers
        other = await client.get(path, headers={"If-None-Match": '"0000"'})
        assert other.status_code == 200 and other.text == page.text
    await Subject.update({Subject.address: f.unique("郑州市标签路")}).where(Subject.id == subject["id"])
    changed = await client.get(f"/subjects/{subject['uscc']}", headers={"If-None-Match": tag})
    assert changed.status_code == 200  # new content, new tag


async def test_no_etag_for_a_logged_in_visitor(client):
    account = await f.account("citizen")
    await f.login(client, account["username"])
    page = await client.get("/")
    assert "etag" not in page.headers and page.headers["cache-control"] == "no-store"


async def test_healthz_sets_no_csrf_cookie_but_pages_still_do(app):
    from litestar.testing import AsyncTestClient

    from portal.settings import get_settings

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as fresh:
        probe = await fresh.get("/healthz")
        assert probe.json() == {"status": "ok"} and "set-cookie" not in probe.headers
        page = await fresh.get("/")
        assert get_settings().csrf_cookie in page.headers.get("set-cookie", "")


async def test_streamed_static_file_is_gzipped_whole_and_keeps_its_cache_headers(client):
    from portal.settings import ROOT

    path = "vendor/swagger-ui/swagger-ui-bundle.js"  # > 1 MB: sent in several chunks
    raw = (ROOT / "static" / path).read_bytes()
    served = await client.get(f"/static/{path}", headers={"Accept-Encoding": "gzip"})
    assert served.status_code == 200 and served.headers["content-encoding"] == "gzip"
    assert served.content == raw  # decoded by the client: every chunk, in order
    assert "max-age=3600" in served.headers["cache-control"] and "Cookie" not in served.headers.get("vary", "")
    assert served.headers["x-content-type-options"] == "nosniff"
    plain = await client.get(f"/static/{path}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw


async def test_a_request_leaves_no_cyclic_garbage(app):
    # A reference cycle per request (HTMXRequest's htmx ↔ request did) keeps the scope, the send
    # wrappers and the response alive until the cyclic collector runs: slower for every page.
    import gc

    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    def scope():
        headers = [(b"host", b"testserver.local"), (b"accept-encoding", b"gzip")]
        return {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/healthz",
            "raw_path": b"/healthz",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "state": {},
        }

    for _ in range(3):
        await app(scope(), receive, send)
    assert sent[0]["status"] == 200 and sent[1]["body"] == b'{"status":"ok"}'
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            await app(scope(), receive, send)
        assert gc.collect() == 0
    finally:
        gc.enable()
