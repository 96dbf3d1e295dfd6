"""What a government portal's visitors expect: 政策法规 as readable pages, 通知公告 published and
withdrawn by staff, 办事指南 and 帮助, the operator in the footer, and 长辈版 remembered by a cookie."""

from __future__ import annotations

import re

import pytest

from portal.accounts.tables import Role
from portal.content import policies
from portal.content.tables import Announcement
from tests import factories as f
from tests.queryflow import csrf, logged_in

pytestmark = pytest.mark.anyio


async def test_every_regulation_is_a_readable_page_with_an_anchor_per_article(client):
    index = await client.get("/policies")
    assert index.status_code == 200
    for p in policies.POLICIES:
        assert f'href="/policies/{p.slug}"' in index.text and p.doc_number in index.text
        page = await client.get(f"/policies/{p.slug}")
        assert page.status_code == 200 and p.title in page.text
    z80 = (await client.get("/policies/zzb-2017-80")).text
    # 第十九条 is its own paragraph with an anchor, its text after the number.
    article = re.search(r'<p id="a19"[^>]*><strong>第十九条</strong>(.*?)</p>', z80, re.S)
    assert article and "查询情况" in article[1] and "5年" in article[1].replace(" ", "")
    assert re.search(r"<h2[^>]*>第一章 总 则</h2>", z80)
    articles = [b["label"] for b in policies.blocks("zzb-2017-80") if b["kind"] == "article"]
    assert articles[0] == "第一条" and articles[-1] == "第二十七条" and len(articles) == 27
    assert (await client.get("/policies/no-such-policy")).status_code == 404


async def test_guide_and_help_explain_query_authorisation_and_objection(client):
    guide = (await client.get("/guide")).text
    for words in ("证明身份", "书面授权", "3 个工作日", "15 个工作日", "2 个工作日", "异议处理中", "5 年"):
        assert words in guide, words
    help_page = (await client.get("/help")).text
    assert "不提供按姓名检索自然人" in help_page and "长辈版" in help_page


async def test_staff_publish_and_withdraw_an_announcement(app, client):
    staff = await f.account(Role.STAFF)
    async with logged_in(app, staff) as s:
        empty = await s.post("/staff/announcements", data={"title": " ", "body": "x", "_csrf_token": csrf(s)})
        assert empty.status_code == 400 and "请填写标题" in empty.text
        made = await s.post(
            "/staff/announcements",
            data={"title": "系统维护通知", "body": "12月6日凌晨维护。\n\n维护期间暂停查询。", "_csrf_token": csrf(s)},
            follow_redirects=False,
        )
        assert made.status_code == 303
    row = await Announcement.select().where(Announcement.title == "系统维护通知").first()
    listing = (await client.get("/announcements")).text
    assert f'href="/announcements/{row["id"]}"' in listing
    page = await client.get(f"/announcements/{row['id']}")
    assert page.status_code == 200 and "维护期间暂停查询。" in page.text
    assert page.text.count('<p class="whitespace') == 2  # two paragraphs
    async with logged_in(app, staff) as s:
        no_reason = await s.post(f"/staff/announcements/{row['id']}/withdraw", data={"_csrf_token": csrf(s)})
        assert no_reason.status_code == 400
        gone = await s.post(
            f"/staff/announcements/{row['id']}/withdraw",
            data={"reason": "维护已取消", "_csrf_token": csrf(s)},
            follow_redirects=False,
        )
        assert gone.status_code == 303
        assert "已撤下：维护已取消" in (await s.get("/staff/announcements")).text
    assert (await client.get(f"/announcements/{row['id']}")).status_code == 404
    assert f'/announcements/{row["id"]}"' not in (await client.get("/announcements")).text
    citizen = await f.account(Role.CITIZEN)
    async with logged_in(app, citizen) as c:
        refused = await c.post("/staff/announcements", data={"title": "t", "body": "b", "_csrf_token": csrf(c)})
        assert refused.status_code in (401, 403)


async def test_elder_mode_is_remembered_by_a_cookie_and_only_set_by_a_post(client):
    assert 'class="elder"' not in (await client.get("/help")).text
    await client.get("/")  # the CSRF cookie
    on = await client.post(
        "/preferences/elder", data={"on": "1", "back": "/help", "_csrf_token": csrf(client)}, follow_redirects=False
    )
    assert on.status_code == 303 and on.headers["location"] == "/help"
    page = (await client.get("/help")).text
    assert '<html lang="zh-CN" class="elder">' in page and "返回标准版" in page
    elsewhere = await client.post(
        "/preferences/elder",
        data={"on": "0", "back": "https://evil.example/x", "_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/"  # never off-site
    assert 'class="elder"' not in (await client.get("/help")).text
    no_token = await client.post("/preferences/elder", data={"on": "1"})
    assert no_token.status_code == 403


async def test_footer_names_the_operator_and_links_the_content_pages(client):
    page = (await client.get("/")).text
    assert "运营单位：郑州市公共信用信息中心" in page  # the name accounts and opinions use
    for href in ("/policies", "/announcements", "/guide", "/help", "/api"):
        assert f'href="{href}"' in page


async def test_elder_mode_and_standard_visitors_each_get_their_own_copy_of_shared_pages(app):
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as plain:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as elder:
            for path in ("/", "/", "/help"):
                assert 'class="elder"' not in (await plain.get(path)).text
            await elder.get("/")
            data = {"on": "1", "back": "/", "_csrf_token": csrf(elder)}
            assert (await elder.post("/preferences/elder", data=data, follow_redirects=False)).status_code == 303
            for path in ("/", "/help"):
                assert '<html lang="zh-CN" class="elder">' in (await elder.get(path)).text
                assert 'class="elder"' not in (await plain.get(path)).text
