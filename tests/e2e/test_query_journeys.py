"""The non-public query paths in a real browser (R-15, R-18, R-19; DESIGN rule 7).

1. A citizen proves its identity with an uploaded document, staff approve it in a second browser,
   and the citizen's self-query is then one click: its own A/B/C records, a reload that adds no row
   to "谁查询了我", the PDF, and a Back after the receipt's window that shows nothing.
2. An enterprise files a query with the subject's written authorisation; querying is refused until
   the subject confirms it online; afterwards the enterprise sees what the scope allows (A+B, never
   C), the result survives a reload, the subject sees the enterprise once in "谁查询了我", and a
   revocation stops the next query at once.

Every record title carries a marker (seeded in conftest._seed_queries); the pages are read the way
a user reads them (headings, labelled sections, table rows). Screenshots and the CSP/console guard
come from conftest.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from portal.authorizations.reasons import REASONS
from portal.lib.masking import mask_id_number
from tests.e2e.conftest import _run_async
from tests.e2e.pages import SLOW, log_in

pytestmark = pytest.mark.e2e

CLASS_LABELS = {"A": "社会公开类", "B": "部门共享类", "C": "有限共享类"}
REASON = REASONS["business_cooperation"]  # 商务合作、签订合同前了解交易对方信用状况（经主体书面授权）
REASON_TEXT = "签订设备采购合同前了解对方信用状况（E2E）"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


# --------------------------------------------------------------------------- helpers


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _today_cn() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def _identity_card_png(path: Path, name: str) -> bytes:
    """A real PNG of an ID-card-sized image (856x540) with some drawing on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (856, 540), (236, 242, 250))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((16, 16, 840, 524), radius=28, outline=(30, 64, 120), width=6)
    draw.rectangle((600, 90, 800, 340), fill=(200, 210, 225), outline=(30, 64, 120), width=3)  # photo
    for row in range(5):
        draw.rectangle((60, 100 + row * 60, 520, 120 + row * 60), fill=(120, 130, 150))
    draw.text((60, 440), f"RESIDENT IDENTITY CARD - E2E {name.encode('unicode_escape').decode()}", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    path.write_bytes(data)
    return data


def _letter_pdf(path: Path, subject: str, organisation: str) -> bytes:
    """A real one-page PDF (fpdf2) standing in for the signed authorisation letter."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text="Authorisation letter (E2E)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(
        w=0,
        text=(
            f"The subject {subject.encode('unicode_escape').decode()} authorises "
            f"{organisation.encode('unicode_escape').decode()} to query its public-credit records "
            "of classes A and B for a business contract. Signed and dated."
        ),
    )
    data = bytes(pdf.output())
    path.write_bytes(data)
    return data


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _header_link(page: Page, name: str):
    return page.get_by_role("banner").get_by_role("link", name=name, exact=True)


def _me_nav(page: Page, name: str):
    return page.get_by_role("navigation", name="本人信用服务").get_by_role("link", name=name, exact=True)


def _class_section(page: Page, cls: str):
    """The labelled section of one disclosure class on a records page ("社会公开类（1 条）")."""
    return page.get_by_role("region", name=re.compile("^" + CLASS_LABELS[cls]))


def _expect_no_markers(page: Page, markers: dict, classes: str = "ABC") -> None:
    for cls in classes:
        expect(page.get_by_text(markers[cls]), f"class {cls} marker {markers[cls]!r} is shown").to_have_count(0)


def _download(page: Page, locator) -> bytes:
    with page.expect_download(timeout=SLOW) as info:
        locator.click()
    download = info.value
    assert download.failure() is None, f"download of {download.url} failed: {download.failure()}"
    return Path(download.path()).read_bytes()


def _history_rows(page: Page):
    return page.get_by_role("table", name="查询记录").locator("tbody tr")


def _expire_receipts(account_id: int) -> None:
    """Let the account's query receipts run out now, as 15 minutes would (no sleeping in tests)."""

    async def expire() -> None:
        from portal.queries.tables import QueryReceipt

        await QueryReceipt.update({QueryReceipt.expires_at: QueryReceipt.created_at}).where(
            QueryReceipt.account == account_id
        )

    _run_async(expire)


def _cells(row) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


# --------------------------------------------------------------------------- journey 1


def test_citizen_verifies_identity_then_sees_own_records_pdf_and_who_queried(
    page: Page, open_context, guard, seed, step, tmp_path: Path
):
    citizen, staff = seed["self_citizen"], seed["staff"]
    subject, markers = seed["self_subject"], seed["self_markers"]
    guard.allow(r"Failed to load resource: the server responded with a status of 410")  # the expired result

    log_in(page, citizen)
    step(page, "citizen-account")

    # Not verified yet: 本人信用 explains why and offers the identity check; nothing is read or recorded.
    _header_link(page, "本人信用").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("本人信用信息")
    expect(page.get_by_role("alert")).to_contain_text("身份核验通过后方可查询本人的非公开信用信息")
    expect(page.get_by_role("button", name="查询本人信用信息")).to_have_count(0)
    _expect_no_markers(page, markers)
    step(page, "records-unverified")

    # 身份核验: upload a real identity-document image and submit.
    _me_nav(page, "身份核验").click()
    expect(page).to_have_url(re.compile(r"/me/verify$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("身份核验")
    card_path = tmp_path / "身份证正面.png"
    card = _identity_card_png(card_path, subject["name"])
    page.get_by_label("身份证明材料").set_input_files(card_path)
    step(page, "verify-form-filled")
    page.get_by_role("button", name="提交核验申请").click()
    expect(page).to_have_url(re.compile(r"/me/verify\?submitted=1$"))
    status = page.get_by_role("status")
    expect(status).to_contain_text("已提交")
    expect(status).to_contain_text("待审核")
    expect(page.get_by_role("button", name="提交核验申请")).to_have_count(0)  # no second application
    step(page, "verify-submitted")

    # Still pending: the records stay closed.
    _me_nav(page, "本人信用信息").click()
    expect(page.get_by_role("alert")).to_contain_text("身份核验通过后方可查询")
    expect(page.get_by_role("button", name="查询本人信用信息")).to_have_count(0)
    _expect_no_markers(page, markers)

    # Credit-centre staff, in their own browser: the queue, the document itself, approval.
    staff_context = open_context()
    staff_page = staff_context.new_page()
    log_in(staff_page, staff)
    _header_link(staff_page, "核验审核").click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("核验与授权审核")
    queue = staff_page.get_by_role("region", name=re.compile("^待审核的身份核验"))
    item = queue.get_by_role("listitem").filter(has_text=citizen["username"])
    expect(item).to_have_count(1)
    expect(item).to_contain_text(subject["name"])
    expect(item).to_contain_text("上传身份证明材料")
    assert subject["id_number"] not in staff_page.content(), "the full ID number is shown to staff"
    step(staff_page, "staff-queue")
    seen = _download(staff_page, item.get_by_role("link", name="身份证明材料"))
    assert _sha256(seen) == _sha256(card), "staff did not get the document the citizen uploaded"
    item.get_by_role("button", name="核验通过").click()
    expect(staff_page).to_have_url(re.compile(r"/staff/reviews\?done=1$"))
    expect(staff_page.get_by_role("status")).to_have_text("已处理")
    expect(queue.get_by_role("listitem").filter(has_text=citizen["username"])).to_have_count(0)
    step(staff_page, "staff-approved")
    staff_context.close()

    # The citizen's own records: one click on 查询本人信用信息 records the query and shows all three
    # classes, each marker in its own class section.
    _me_nav(page, "身份核验").click()
    expect(page.get_by_role("status")).to_contain_text("已核验")
    _me_nav(page, "本人信用信息").click()
    expect(page).to_have_url(re.compile(r"/me/records$"))
    _expect_no_markers(page, markers)  # the page itself reads nothing
    page.get_by_role("button", name="查询本人信用信息").click()
    expect(page).to_have_url(re.compile(r"/queries/[\w-]+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"本人网上查询：{subject['name']}")
    main = page.get_by_role("main")
    expect(main).to_contain_text("该主体累计被查询 1 次")
    for cls in "ABC":
        section = _class_section(page, cls)
        expect(section).to_have_count(1)
        expect(section.get_by_text(markers[cls])).to_be_visible()
        for other in set("ABC") - {cls}:
            expect(section.get_by_text(markers[other])).to_have_count(0)
    content = page.content()
    assert subject["id_number"] not in content, "the full ID number is on the page (R-17)"
    expect(main).to_contain_text(mask_id_number(subject["id_number"]))  # the masked number instead
    step(page, "own-records")

    # A reload shows the same result from the receipt: no second query, the count stays 1.
    page.reload()
    expect(main).to_contain_text("该主体累计被查询 1 次")
    expect(_class_section(page, "C").get_by_text(markers["C"])).to_be_visible()

    # The PDF report, issued from the receipt: a real PDF whose text carries the records.
    pdf = _download(page, page.get_by_role("button", name="下载 PDF 信用信息报告"))
    assert pdf.startswith(b"%PDF-"), f"the download is not a PDF: {pdf[:16]!r}"
    text = _pdf_text(pdf)
    for cls in "ABC":
        assert markers[cls] in text, f"the PDF report lacks the class {cls} record {markers[cls]!r}"
    assert subject["id_number"] not in text

    # 谁查询了我: the one self-query (the reload and the PDF added no row), with the cumulative count.
    # Staff opening the identity document is on the record too, but under the document: it was a
    # claim to this subject, not yet proven, when staff opened it.
    before = _today_cn()
    _me_nav(page, "谁查询了我").click()
    expect(page).to_have_url(re.compile(r"/me/queries$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("谁查询了我")
    expect(main).to_contain_text("累计被查询 1 次（含本人查询）")
    rows = _history_rows(page)
    expect(rows).to_have_count(1)
    when, organisation, method, reason, outcome = _cells(rows.first)
    assert TIME_RE.match(when) and when[:10] in {before, _today_cn()}, f"query time {when!r} is not today's"
    assert (organisation, method, reason, outcome) == ("本人", "本人网上查询", "本人查询：本人网上查询", "已查询")
    step(page, "who-queried-me")

    # Back to the result once its window has passed: the page is fetched again and shows nothing.
    _expire_receipts(citizen["id"])
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("查询结果已过期")
    _expect_no_markers(page, markers)
    step(page, "back-after-the-window")


# --------------------------------------------------------------------------- journey 2


def _file_request(page: Page, subject: dict, letter_path: Path) -> None:
    """新建授权查询申请, filled in like a user: natural person by name + ID number, scope A+B."""
    _header_link(page, "授权查询").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("授权查询")
    page.get_by_role("link", name="新建授权查询申请").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建授权查询申请")
    page.get_by_role("radio", name="自然人", exact=True).check()
    page.get_by_label("姓名（自然人）").fill(subject["name"])
    page.get_by_label("公民身份号码（自然人）").fill(subject["id_number"])
    page.get_by_label("查询事由").select_option(label=REASON)
    page.get_by_label("事由说明").fill(REASON_TEXT)
    page.get_by_role("checkbox", name="部门共享类").check()
    expect(page.get_by_role("checkbox", name="有限共享类")).not_to_be_checked()
    today = _today_cn()
    page.get_by_label("授权开始日期").fill(today)
    page.get_by_label("授权截止日期").fill((date.fromisoformat(today) + timedelta(days=90)).isoformat())
    page.get_by_label("信用主体签署的书面授权书").set_input_files(letter_path)


def test_enterprise_queries_a_citizen_with_an_authorisation_the_citizen_confirms(
    page: Page, context: BrowserContext, open_context, guard, seed, step, tmp_path: Path
):
    requester, grantor = seed["requester"], seed["grantor"]
    subject, markers = seed["grantor_subject"], seed["grantor_markers"]
    organisation = requester["organisation"]
    guard.allow(r"Failed to load resource: the server responded with a status of 403")  # the revoked query

    # The enterprise files the request with the signed letter.
    log_in(page, requester)
    letter_path = tmp_path / "授权书.pdf"
    letter = _letter_pdf(letter_path, subject["name"], organisation)
    _file_request(page, subject, letter_path)
    step(page, "request-form-filled")
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))
    detail_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(f"授权查询：{subject['name']}")
    facts = page.get_by_role("main").locator("dl")
    expect(facts).to_contain_text(f"{REASON}：{REASON_TEXT}")
    expect(facts).to_contain_text("社会公开类、部门共享类")
    expect(facts).not_to_contain_text("有限共享类")
    expect(facts).to_contain_text("待确认")
    assert subject["id_number"] not in page.content(), "the full ID number is echoed back"

    # Before the subject confirms: no query, a clear reason, nothing of the subject's records.
    expect(page.get_by_role("alert")).to_have_text("授权尚未生效，待信用主体确认或信用中心审核授权书。")
    expect(page.get_by_role("button", name="查询该主体信用信息")).to_have_count(0)
    _expect_no_markers(page, markers)
    step(page, "request-pending")

    _header_link(page, "授权查询").click()
    listed = page.get_by_role("table", name="我的授权查询申请").locator("tbody tr").filter(has_text=subject["name"])
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("待确认")
    expect(listed).to_contain_text("社会公开类、部门共享类")
    listed.get_by_role("link", name=subject["name"]).click()
    expect(page).to_have_url(detail_url)

    # The subject, in its own browser: 授权管理 shows the request; it reads the letter and confirms.
    subject_context = open_context()
    subject_page = subject_context.new_page()
    log_in(subject_page, grantor)
    _header_link(subject_page, "本人信用").click()
    expect(subject_page.get_by_role("heading", level=1)).to_have_text("本人信用信息")  # verified at the counter
    _me_nav(subject_page, "授权管理").click()
    expect(subject_page.get_by_role("heading", level=1)).to_have_text("授权管理")
    request_item = subject_page.get_by_role("main").get_by_role("listitem").filter(has_text=organisation)
    expect(request_item).to_have_count(1)
    expect(request_item).to_contain_text(f"{REASON}：{REASON_TEXT}")
    expect(request_item).to_contain_text("社会公开类、部门共享类")
    expect(request_item).to_contain_text("待确认")
    step(subject_page, "subject-pending-request")
    shown = _download(subject_page, request_item.get_by_role("link", name="查看授权书"))
    assert _sha256(shown) == _sha256(letter), "the subject was shown another letter than the one filed"
    request_item.get_by_role("button", name="确认授权").click()
    expect(subject_page).to_have_url(re.compile(r"/me/authorizations$"))
    expect(request_item).to_contain_text("已生效")
    expect(request_item.get_by_role("button", name="确认授权")).to_have_count(0)
    expect(request_item.get_by_role("button", name="撤销授权")).to_be_visible()
    step(subject_page, "subject-confirmed")

    # The enterprise queries: A and B markers, never C (outside the scope).
    page.reload()
    expect(facts).to_contain_text("已生效（主体在线确认）")
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", name="查询该主体信用信息").click()
    expect(page).to_have_url(re.compile(r"/queries/[\w-]+$"))
    result_url = page.url
    main = page.get_by_role("main")
    expect(main).to_contain_text(re.compile(r"查询记录编号\s*\d+（该主体累计被查询 1 次）"))
    for cls in "AB":
        expect(_class_section(page, cls).get_by_text(markers[cls])).to_be_visible()
    expect(_class_section(page, "C")).to_have_count(0)
    _expect_no_markers(page, markers, "C")
    assert subject["id_number"] not in page.content()
    step(page, "enterprise-query-allowed")

    # Within the receipt's window the result survives a reload, without a second query.
    page.reload()
    expect(page).to_have_url(result_url)
    expect(main).to_contain_text("该主体累计被查询 1 次")
    expect(_class_section(page, "B").get_by_text(markers["B"])).to_be_visible()

    # 谁查询了我 names the enterprise's organisation, with method, reason and time — once.
    _me_nav(subject_page, "谁查询了我").click()
    expect(subject_page.get_by_role("main")).to_contain_text("累计被查询 1 次")
    rows = _history_rows(subject_page)
    expect(rows).to_have_count(1)
    when, org, method, reason, outcome = _cells(rows.first)
    assert (org, method, reason, outcome) == (organisation, "授权查询", f"{REASON}：{REASON_TEXT}", "已查询")
    assert TIME_RE.match(when), when
    step(subject_page, "subject-who-queried")

    # Back to the request, then the subject revokes; the enterprise's next query (from the page it
    # still has open) is refused.
    page.get_by_role("link", name=re.compile("书面授权")).click()
    expect(page).to_have_url(detail_url)
    _me_nav(subject_page, "授权管理").click()
    request_item.get_by_role("button", name="撤销授权").click()
    expect(request_item).to_contain_text("已撤销")
    expect(request_item.get_by_role("button")).to_have_count(0)
    step(subject_page, "subject-revoked")

    with page.expect_response(lambda r: r.url.endswith("/query")) as again:
        page.get_by_role("button", name="查询该主体信用信息").click()
    assert again.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("信用主体已撤销授权，不能查询")
    _expect_no_markers(page, markers)
    step(page, "enterprise-query-refused")

    _me_nav(subject_page, "谁查询了我").click()
    expect(subject_page.get_by_role("main")).to_contain_text("另有 1 次查询因未获授权等原因被拒绝")
    refused = _cells(_history_rows(subject_page).first)
    assert refused[1:3] == [organisation, "授权查询"] and refused[4] == "已拒绝", refused
    step(subject_page, "subject-sees-refusal")
    subject_context.close()
