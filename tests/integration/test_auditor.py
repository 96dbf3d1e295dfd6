"""The auditor UI (issue 3 item 10; R-19, SPEC §5, §7): filters, keyset paging, entry verification,
the per-subject summary, CSV/XLSX exports, the integrity page, and who may open any of it.

Entries are written through the real recorder (and, once, through a real refused self-query) into
the suite's audit store; every test tags its entries with a unique organisation so it sees only
its own rows in the shared log. Expected rows are computed from the receipts, never hard-coded.
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

import pytest
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from audit import recorder
from audit import service as audit_service
from audit.db import connect
from audit.export import Export, Labels, csv_chunks
from audit.filters import FilterError, FilterForm
from audit.recorder import QueryEvent
from audit.service import BrowseFilters
from audit.settings import get_settings as audit_settings
from portal.subjects.identity import subject_ref
from portal.subjects.tables import Subject
from tests import factories as f
from tests.audit.helpers import lift_guard, restore_guard

pytestmark = pytest.mark.anyio

SEQ = re.compile(r'<tr class="[^"]*" data-seq="(\d+)"')
MORE = re.compile(r'<tr id="more-entries">.*?href="([^"]+)"', re.S)
CHINA = timezone(timedelta(hours=8))


@asynccontextmanager
async def _as(app, user: dict | None):
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        if user is None:
            await client.get("/login")
        else:
            assert (await f.login(client, user["username"])).status_code == 303
        yield client


@asynccontextmanager
async def _auditor(app):
    async with _as(app, await f.account("auditor")) as client:
        yield client


def _fake_ref(tag: str, n: int) -> str:
    return "l:" + f"{tag}{n}".encode().hex().ljust(64, "0")[:64]


async def _seed(n: int, **fixed) -> tuple[str, list[dict]]:
    """``n`` entries of a fresh organisation, varying every filterable field; returns (org, entries)."""
    tag = f.unique()
    org = f"审计测试机构{tag}"
    entries = []
    for i in range(n):
        values = {
            "requester_account": f"auditee-{tag}-{i % 3}",
            "requester_role": ("third_party", "agency", "enterprise")[i % 3],
            "requester_org": org,
            "method": ("third_party", "agency", "counter", "api")[i % 4],
            "reason_code": ("financing", "supervision_approval")[i % 2],
            "reason_text": f"审计界面测试 {i}",
            "subject_ref": _fake_ref(tag, i % 4),
            "subject_label": f"郑州审计测试{i % 4}有限公司（91410105MA0000000X）",
            "scope": "A,B",
            "outcome": ("allowed", "allowed", "refused:authorization_expired", "refused:wrong_role", "allowed")[i % 5],
            "request_id": f"req-{tag}-{i}",
            **fixed,
        }
        receipt = await recorder.record(QueryEvent(**values))
        entries.append({**values, "seq": receipt.seq, "recorded_at": receipt.recorded_at})
    return org, entries


async def _walk(client, url: str, *, htmx: bool = False) -> list[int]:
    """Every seq the log shows for ``url``, following the "更早的记录" control to the end."""
    page = await client.get(url)
    assert page.status_code == 200, page.text
    assert '<tbody id="entries"' in page.text
    seqs, text = [int(s) for s in SEQ.findall(page.text)], page.text
    while match := MORE.search(text):
        href = match.group(1).replace("&amp;", "&")
        headers = {"HX-Request": "true"} if htmx else {}
        nxt = await client.get(href, headers=headers)
        assert nxt.status_code == 200, nxt.text
        if htmx:
            assert "<html" not in nxt.text and '<tbody id="entries"' not in nxt.text  # the fragment only
        else:
            assert "<html" in nxt.text
        seqs += [int(s) for s in SEQ.findall(nxt.text)]
        text = nxt.text
    return seqs


def _newest_first(entries: list[dict], keep=lambda e: True) -> list[int]:
    return sorted((e["seq"] for e in entries if keep(e)), reverse=True)


async def test_each_filter_narrows_the_log(app):
    org, entries = await _seed(30)
    other_org, _ = await _seed(5)
    q = f"org={quote(org)}"
    async with _auditor(app) as client:
        assert await _walk(client, f"/audit/log?{q}") == _newest_first(entries)
        assert not set(await _walk(client, f"/audit/log?org={quote(other_org)}")) & {e["seq"] for e in entries}

        account = entries[1]["requester_account"]
        got = await _walk(client, f"/audit/log?requester={account}")
        assert got == _newest_first(entries, lambda e: e["requester_account"] == account) and len(got) == 10

        ref = entries[2]["subject_ref"]
        assert await _walk(client, f"/audit/log?subject_ref={quote(ref)}") == _newest_first(
            entries, lambda e: e["subject_ref"] == ref
        )
        for name, param in (("method", "method"), ("reason_code", "reason")):
            value = entries[3][name]
            assert await _walk(client, f"/audit/log?{q}&{param}={value}") == _newest_first(
                entries, lambda e, n=name, v=value: e[n] == v
            )
        assert await _walk(client, f"/audit/log?{q}&outcome=allowed") == _newest_first(
            entries, lambda e: e["outcome"] == "allowed"
        )
        refused = await _walk(client, f"/audit/log?{q}&outcome=refused")
        assert refused == _newest_first(entries, lambda e: e["outcome"].startswith("refused:")) and len(refused) == 12
        specific = await _walk(client, f"/audit/log?{q}&outcome={quote('refused:wrong_role')}")
        assert specific == _newest_first(entries, lambda e: e["outcome"] == "refused:wrong_role") and specific
        combined = await _walk(client, f"/audit/log?{q}&method=agency&outcome=allowed")
        assert combined == _newest_first(entries, lambda e: e["method"] == "agency" and e["outcome"] == "allowed")

        # Time range in China days: the day the entries were made (China time) keeps them all.
        day = entries[0]["recorded_at"].astimezone(CHINA).date()
        assert await _walk(client, f"/audit/log?{q}&from={day}&to={day}") == _newest_first(entries)
        assert await _walk(client, f"/audit/log?{q}&from={day + timedelta(days=1)}") == []
        assert await _walk(client, f"/audit/log?{q}&to={day - timedelta(days=1)}") == []


def test_dates_are_china_days_as_a_utc_half_open_range():
    filters = FilterForm(date_from="2026-03-01", date_to="2026-03-31").to_filters()
    assert filters.time_from == datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc)
    assert filters.time_to == datetime(2026, 3, 31, 16, 0, tzinfo=timezone.utc)
    for bad in (
        FilterForm(date_from="2026-3-1"),
        FilterForm(date_from="2026-04-01", date_to="2026-03-01"),
        FilterForm(subject_ref="410105199001011234"),
        FilterForm(subject_ref="91410105MA0000000X"),
        FilterForm(outcome="maybe"),
    ):
        with pytest.raises(FilterError):
            bad.to_filters()


async def test_keyset_pages_have_no_duplicates_or_gaps_with_and_without_htmx(app):
    org, entries = await _seed(123)
    expected = _newest_first(entries)
    async with _auditor(app) as client:
        plain = await _walk(client, f"/audit/log?org={quote(org)}")
        fragments = await _walk(client, f"/audit/log?org={quote(org)}", htmx=True)
        first = await client.get(f"/audit/log?org={quote(org)}")
    assert plain == expected and fragments == expected
    assert len(set(plain)) == len(plain) == 123
    # 50 a page: the first page shows the newest 50 and a plain link that works without JavaScript.
    assert [int(s) for s in SEQ.findall(first.text)] == expected[:50]
    link = MORE.search(first.text).group(1)
    assert "after=" in link and "更早的记录" in first.text and 'hx-get="' in first.text
    assert "OFFSET" not in link.upper()


async def test_subject_identifiers_are_posted_and_only_the_digest_reaches_urls(app):
    person = await f.natural_subject("赵审计")
    row = await Subject.select().where(Subject.id == person["id"]).first()
    ref = subject_ref(row)
    # A real refused self-query by the (unverified) citizen, plus recorded third-party queries.
    citizen = await f.account("citizen", subject_id=person["id"])
    async with _as(app, citizen) as client:
        refused = await client.post("/me/records", data={"_csrf_token": client.cookies.get("csrftoken")})
        assert refused.status_code == 403
    org, entries = await _seed(
        7, subject_ref=ref, subject_label=f"赵*（{person['id_number'][:4]}**********{person['id_number'][-4:]}）"
    )
    counts = await recorder.subject_count(ref)
    async with _auditor(app) as client:
        token = client.cookies.get("csrftoken")
        form = {"kind": "natural", "name": "赵审计", "id_number": person["id_number"], "_csrf_token": token}
        posted = await client.post("/audit/subjects", data=form, follow_redirects=False)
        assert posted.status_code == 303
        location = posted.headers["location"]
        assert person["id_number"] not in unquote(location) and unquote(location) == f"/audit/subjects?ref={ref}"
        summary = await client.get(location)
        assert summary.status_code == 200 and person["id_number"] not in summary.text
        assert f'data-count="allowed">{counts.allowed}<' in summary.text
        assert f'data-count="refused">{counts.refused}<' in summary.text and counts.refused >= 3
        assert org in summary.text and "授权查询" in summary.text and "本人网上查询" in summary.text

        # From the log page: the identifier is posted, the redirect keeps the other filters.
        keep = f"org={quote(org)}&outcome=allowed"
        posted = await client.post(
            "/audit/subjects", data={**form, "target": "log", "keep": keep}, follow_redirects=False
        )
        location = posted.headers["location"]
        assert person["id_number"] not in unquote(location) and "subject_ref=" in location
        assert await _walk(client, location) == _newest_first(entries, lambda e: e["outcome"] == "allowed")

        wrong = await client.post("/audit/subjects", data={**form, "name": "钱审计"})
        assert wrong.status_code == 400 and "不一致" in wrong.text and person["id_number"] not in wrong.text
        bad = await client.post("/audit/subjects", data={**form, "id_number": "410105199001011235"})
        assert bad.status_code == 400 and "校验位" in bad.text
        raw = await client.get(f"/audit/log?subject_ref={person['id_number']}")
        assert raw.status_code == 400 and "摘要" in raw.text

        code = f.new_uscc()
        legal = await client.post(
            "/audit/subjects", data={"kind": "legal", "uscc": code, "_csrf_token": token}, follow_redirects=False
        )
        assert unquote(legal.headers["location"]) == f"/audit/subjects?ref={subject_ref({'uscc': code})}"


async def _admin_sql(*statements: str, args: tuple = ()) -> None:
    async with connect(audit_settings(), "admin") as conn:
        for sql in statements:
            await conn.execute(sql, *args)


async def _checkpoint() -> None:
    from audit.checkpoints import make_checkpoint

    async with connect(audit_settings(), "admin") as conn:
        await make_checkpoint(conn, audit_settings())


async def test_entry_detail_verifies_an_intact_entry_and_names_a_tampered_one(app):
    _, entries = await _seed(4)
    await _checkpoint()
    victim, before = entries[2], entries[1]
    async with _auditor(app) as client:
        page = await client.get(f"/audit/log/{victim['seq']}")
        assert page.status_code == 200 and 'data-status="verified"' in page.text and "已验证" in page.text
        assert "签名：<span" in page.text and ">有效<" in page.text and victim["request_id"] in page.text
        assert (await client.get("/audit/log/999999999")).status_code == 404

        try:
            await lift_guard(audit_settings())  # the guard refuses UPDATE: an attacker removes it first
            await _admin_sql("UPDATE entries SET requester_org = '伪造的机构' WHERE seq = $1", args=(victim["seq"],))
            tampered = await client.get(f"/audit/log/{victim['seq']}")
            assert tampered.status_code == 200 and 'data-status="failed"' in tampered.text
            assert "校验失败" in tampered.text and "伪造的机构" in tampered.text
            # An earlier entry still hashes, but its chain to the signed checkpoint now breaks.
            earlier = await client.get(f"/audit/log/{before['seq']}")
            assert 'data-status="failed"' in earlier.text and "被修改" in earlier.text
        finally:  # the suite shares this store: put it back exactly as it was
            await _admin_sql(
                "UPDATE entries SET requester_org = $1 WHERE seq = $2", args=(victim["requester_org"], victim["seq"])
            )
            await restore_guard(audit_settings())
        restored = await client.get(f"/audit/log/{victim['seq']}")
        assert 'data-status="verified"' in restored.text


async def test_integrity_page_shows_checkpoint_signature_and_last_verification(app):
    from tests.audit.helpers import cli

    await _seed(2)
    await _checkpoint()
    result = cli(audit_settings(), "verify", "--full")
    assert result.returncode == 0, result.stdout + result.stderr
    async with _auditor(app) as client:
        page = await client.get("/audit/integrity")
    assert page.status_code == 200
    assert 'data-result="ok"' in page.text and 'data-signature="ok"' in page.text
    assert "最近一次完整校验" in page.text and "完整" in page.text


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese correctly
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_csv_and_xlsx_exports_follow_the_filter_and_hide_id_numbers(app):
    person = await f.natural_subject("孙审计")
    masked = f"孙*（{person['id_number'][:4]}**********{person['id_number'][-4:]}）"
    org, entries = await _seed(9, subject_label=masked)
    extra = await recorder.record(
        QueryEvent(
            requester_account="auditee-formula",
            requester_role="third_party",
            requester_org=org,
            method="api",
            reason_code="financing",
            reason_text=f'=HYPERLINK("http://x") 号码 {person["id_number"]}',
            subject_ref=_fake_ref("formula", 1),
            subject_label=masked,
            scope="A",
        )
    )
    expected = sorted([e["seq"] for e in entries] + [extra.seq], reverse=True)
    query = f"org={quote(org)}"
    async with _auditor(app) as client:
        response = await client.get(f"/audit/export.csv?{query}")
        assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        rows = _csv_rows(response.content)
        header, body = rows[0], rows[1:]
        assert header[:3] == ["序号", "查询时间（北京时间）", "查询账号"] and "信用主体（已脱敏）" in header
        assert [int(r[0]) for r in body] == expected
        assert person["id_number"] not in response.content.decode("utf-8-sig")
        first = next(e for e in entries if e["seq"] == int(body[-1][0]))
        assert body[-1][1] == first["recorded_at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        formula = next(r for r in body if int(r[0]) == extra.seq)
        assert formula[header.index("事由说明")].startswith("'=")  # shown, never run
        refused = _csv_rows((await client.get(f"/audit/export.csv?{query}&outcome=refused")).content)[1:]
        assert [int(r[0]) for r in refused] == _newest_first(entries, lambda e: e["outcome"] != "allowed")

        xlsx = await client.get(f"/audit/export.xlsx?{query}")
        assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
        book = load_workbook(io.BytesIO(xlsx.content))
        sheet = book["查询记录"]
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0][:2]) == ["序号", "查询时间（北京时间）"]
        assert [r[0] for r in values[1:]] == expected
        assert all(person["id_number"] not in str(v) for r in values for v in r)
        cell = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == extra.seq)[header.index("事由说明")]
        assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")  # a string, not a formula
        assert ("导出条数", len(expected)) in [tuple(r[:2]) for r in book["说明"].iter_rows(values_only=True)]

        bad = await client.get(f"/audit/export.csv?{query}&method=bogus")
        assert bad.status_code == 400 and "未知的查询方式" in bad.text


async def test_export_stops_at_the_row_cap_and_says_so(app):
    org, entries = await _seed(7)
    export = Export(BrowseFilters(requester_org=org), max_rows=5)
    body = b"".join([chunk async for chunk in csv_chunks(export, Labels())])
    rows = _csv_rows(body)
    assert [int(r[0]) for r in rows[1:-1]] == _newest_first(entries)[:5]
    assert export.truncated and "已达导出上限 5 行" in rows[-1][0]
    whole = Export(BrowseFilters(requester_org=org), max_rows=7)
    rows = _csv_rows(b"".join([chunk async for chunk in csv_chunks(whole, Labels())]))
    assert not whole.truncated and len(rows) == 8


async def test_bad_filter_input_is_a_clear_400(app):
    async with _auditor(app) as client:
        for query, message in (
            ("from=2026-13-01", "起始日期格式"),
            ("from=2026-05-02&to=2026-05-01", "起始日期不能晚于截止日期"),
            ("after=not-a-key", "翻页参数无效"),
            ("method=teleport", "未知的查询方式"),
            ("outcome=perhaps", "未知的查询结果"),
        ):
            response = await client.get(f"/audit/log?{query}")
            assert response.status_code == 400 and message in response.text, query
        assert (await client.get("/audit/subjects?ref=410105199001011234")).status_code == 400


ROUTES = (
    ("GET", "/audit/log"),
    ("GET", "/audit/log/1"),
    ("GET", "/audit/subjects"),
    ("POST", "/audit/subjects"),
    ("GET", "/audit/export.csv"),
    ("GET", "/audit/export.xlsx"),
    ("GET", "/audit/integrity"),
)


async def test_only_auditors_may_open_the_auditor_ui(app):
    await _seed(1)
    person = await f.natural_subject()
    others = {
        "admin": await f.account("admin"),
        "citizen": await f.account("citizen", subject_id=person["id"]),
        "staff": await f.account("staff"),
        "agency": await f.account("agency"),
        "third_party": await f.account("third_party"),
        "anonymous": None,
    }
    for role, user in others.items():
        async with _as(app, user) as client:
            token = client.cookies.get("csrftoken")
            for method, path in ROUTES:
                if method == "GET":
                    response = await client.get(path, follow_redirects=False)
                else:
                    response = await client.post(path, data={"_csrf_token": token}, follow_redirects=False)
                denied = response.status_code in (401, 403) or (
                    response.status_code in (302, 303) and response.headers["location"].startswith("/login")
                )
                assert denied, f"{role} {method} {path}: {response.status_code}"
                assert "查询记录审计" not in response.text and "序号" not in response.text
            if user is not None:
                assert 'href="/audit/log"' not in (await client.get("/account")).text
    async with _auditor(app) as client:
        assert (await client.get("/audit/log")).status_code == 200
        assert 'href="/audit/log">审计日志</a>' in (await client.get("/account")).text
        assert (await client.get("/audit/integrity")).status_code == 200
        assert (await client.get("/audit/subjects")).status_code == 200


# --- the auditors' own browsing is recorded (R-19, SPEC §5) ------------------------------------


async def _views_of(username: str) -> list[dict]:
    """The auditor's own access entries, oldest first."""
    page = await audit_service.browse(
        BrowseFilters(requester_account=username, method="auditor_view"), None, 500, store=_reader()
    )
    return sorted(page.items, key=lambda e: e["seq"])


def _reader():
    return audit_service.default_store(audit_settings())


async def test_auditor_browsing_and_exports_are_recorded_as_auditor_views(app):
    org, entries = await _seed(3)
    ref = entries[0]["subject_ref"]
    counts = await recorder.subject_count(ref)
    auditor = await f.account("auditor")
    query = f"org={quote(org)}&outcome=allowed"
    views = (
        (f"/audit/log?{query}", {}, "audit_log", f"org={org}"),
        (f"/audit/log?{query}", {"HX-Request": "true"}, "audit_log", f"org={org}"),
        (f"/audit/log/{entries[1]['seq']}", {}, "audit_entry", f"条目序号 {entries[1]['seq']}"),
        (f"/audit/subjects?ref={ref}", {}, "audit_subject", f"subject_ref={ref}"),
        (f"/audit/export.csv?{query}", {}, "audit_export_csv", f"org={org}"),
        (f"/audit/export.xlsx?{query}", {}, "audit_export_xlsx", f"org={org}"),
        ("/audit/integrity", {}, "audit_integrity", "完整性"),
    )
    async with _as(app, auditor) as client:
        for url, headers, reason, what in views:
            before = len(await _views_of(auditor["username"]))
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, url
            seen = await _views_of(auditor["username"])
            assert len(seen) == before + 1, url  # one entry per page view, fragments included
            last = seen[-1]
            assert (last["reason_code"], last["subject_ref"], last["requester_role"]) == (
                reason,
                "audit:log",
                "auditor",
            )
            assert what in last["reason_text"] and last["outcome"] == "allowed", (url, last["reason_text"])
        # Nothing shown, nothing recorded: the empty subject form, a malformed filter, and a HEAD
        # (a link checker's; signed in, HEAD is not answered as the GET at all).
        before = len(await _views_of(auditor["username"]))
        assert (await client.get("/audit/subjects")).status_code == 200
        assert (await client.get("/audit/log?from=2026-13-01")).status_code == 400
        for url in ("/audit/log", "/audit/export.csv", "/audit/export.xlsx"):
            assert (await client.head(url)).status_code == 405
        assert len(await _views_of(auditor["username"])) == before
        # The views are themselves in the log, under 审计员查阅查询记录.
        page = await client.get("/audit/log?method=auditor_view&requester=" + quote(auditor["username"]))
        assert "审计员查阅查询记录" in page.text and "查阅主体查询汇总" in page.text
        # Their summary (linked from such an entry) names them, not an internal key as a subject's digest.
        own = await client.get("/audit/subjects?ref=audit:log")
        assert own.status_code == 200 and "查询记录（审计日志）" in own.text and "主体摘要：audit:log" not in own.text
    # An access entry is not a query of the subject: its counts did not move.
    assert await recorder.subject_count(ref) == counts


async def test_auditor_pages_fail_closed_when_the_audit_store_cannot_record(app, tmp_path):
    org, entries = await _seed(2)
    settings = audit_settings()
    if settings.is_postgres:
        dead = "postgresql://audit_writer@127.0.0.1:1/audit_test"
        down = settings.with_(database_url=dead, timeout=2.0)
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("the audit directory cannot be created under a file")
        down = settings.with_(data_dir=blocker / "audit", timeout=2.0)
    async with _auditor(app) as client:
        recorder.configure(down)  # appends fail; the reader store still works
        try:
            for url in (f"/audit/log?org={quote(org)}", f"/audit/log/{entries[0]['seq']}", "/audit/export.csv"):
                response = await client.get(url)
                assert response.status_code == 503, url
                assert org not in response.text and entries[0]["request_id"] not in response.text, url
        finally:
            recorder.configure(None)


async def test_integrity_page_shows_the_latest_access_entries_with_counts(app):
    tag = f.unique()
    person = await f.natural_subject("周审计")
    row = await Subject.select().where(Subject.id == person["id"]).first()
    review = await recorder.record(
        QueryEvent(
            requester_account=f"staff-{tag}",
            requester_role="staff",
            requester_org="信用中心",
            method="staff_review",
            reason_code="identity_document",
            reason_text="下载身份证明材料",
            subject_ref=subject_ref(row),
            subject_label=f"周*（{person['id_number'][:4]}**********{person['id_number'][-4:]}）",
            scope="document:identity_document",
        )
    )
    async with _auditor(app) as client:
        page = await client.get("/audit/integrity")
    assert page.status_code == 200
    assert f'data-access-seq="{review.seq}"' in page.text and f"staff-{tag}" in page.text
    assert "信用中心审核查看" in page.text and person["id_number"] not in page.text
    async with connect(audit_settings(), "admin") as conn:
        for method in ("staff_review", "owner_view", "auditor_view"):
            n = await conn.fetchval("SELECT count(*) FROM entries WHERE method = $1", method)
            assert re.search(rf'data-access-count="{method}">.*?：{n:,} 次</li>', page.text), method
