"""An objection end to end in real browsers (R-22 … R-24, R-11).

A company's proven account objects online, with a PDF of evidence, to a penalty on its public
profile; the record is then marked 异议处理中. Credit-centre staff forward it; the providing agency
corrects the record on its desk; staff send the written decision. The company finds the notice in
its inbox and downloads the decision PDF (its text and verification link are checked), and the
public profile shows the corrected record and the 更正公告. A screenshot is kept of every page.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import SLOW, log_in

pytestmark = pytest.mark.e2e

CORRECTED = "临时占道堆放建材已办理占道许可（E2E更正）"
# A deadline with its countdown; late in December it runs into a year the calendar may not know yet,
# which the page names instead of guessing (SPEC §6).
DUE = re.compile(r"截止 \d{4}-\d{2}-\d{2}（(剩余 \d+ 个工作日|今日到期)）|无法计算期限")


def _evidence_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(w=0, text="Road occupation permit No. E2E-2026-118, valid for the dates of the alleged offence.")
    path.write_bytes(bytes(pdf.output()))
    return path


def _header_link(page: Page, name: str):
    return page.get_by_role("banner").get_by_role("link", name=name, exact=True)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


def test_objection_filed_forwarded_corrected_told_and_published(page: Page, open_context, seed, step, tmp_path: Path):
    case = seed["objection"]
    uscc, title = case["company"]["uscc"], case["title"]

    # 1. The company's account opens its public profile and objects from the record itself.
    log_in(page, case["owner"])
    page.goto(f"/subjects/{uscc}/penalty")
    record = page.get_by_role("listitem").filter(has_text=title)
    expect(record).to_have_count(1)
    step(page, "profile-before")
    record.get_by_role("link", name=re.compile("在线提出")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("对信用信息提出异议")
    expect(page.get_by_role("main")).to_contain_text(title)
    page.get_by_label("异议理由").fill("该日已取得占道许可（许可证号E2E-2026-118），不应处罚。")
    page.get_by_label(re.compile("^证明材料")).set_input_files(_evidence_pdf(tmp_path / "占道许可证.pdf"))
    step(page, "objection-form")
    page.get_by_role("button", name="提交异议").click()
    expect(page).to_have_url(re.compile(r"/me/objections/\d+\?filed=1$"))
    expect(page.get_by_role("status")).to_contain_text("异议已提交并受理")
    main = page.get_by_role("main")
    expect(main).to_contain_text("已受理，待转送")
    expect(main).to_contain_text(DUE)
    expect(main.get_by_role("link", name="占道许可证.pdf")).to_have_count(1)
    number = re.search(r"YY\d{12}", page.get_by_role("heading", level=1).inner_text()).group(0)
    objection_url = page.url.split("?")[0]
    step(page, "objection-filed")

    # While pending the record stays published, marked 异议处理中.
    page.goto(f"/subjects/{uscc}/penalty")
    expect(page.get_by_role("listitem").filter(has_text=title)).to_contain_text("异议处理中")
    step(page, "profile-pending")

    # 2. Staff forward it to the providing agency.
    staff_context = open_context()
    staff = staff_context.new_page()
    log_in(staff, case["staff"])
    _header_link(staff, "异议处理").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("异议处理")
    row = staff.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text(DUE)
    step(staff, "staff-queue")
    row.get_by_role("link", name=number).click()
    staff.get_by_role("button", name=re.compile("^转送")).click()
    expect(staff.get_by_role("main")).to_contain_text("提供单位核查中")
    step(staff, "staff-forwarded")

    # 3. The agency corrects the record on its desk.
    agency_context = open_context()
    agency = agency_context.new_page()
    log_in(agency, case["officer"])
    _header_link(agency, "异议核查").click()
    agency.get_by_role("row").filter(has_text=number).get_by_role("link", name=number).click()
    expect(agency.get_by_role("main")).to_contain_text(DUE)
    with agency.expect_download(timeout=SLOW) as download:
        agency.get_by_role("link", name="占道许可证.pdf").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")  # the applicant's evidence
    agency.get_by_label("经核查信息有误，予以更正").check()
    agency.get_by_label("核查意见").fill("当事人当日已取得占道许可，原处罚事实认定有误，予以更正。")
    agency.get_by_label("信息名称").fill(CORRECTED)
    step(agency, "agency-answer")
    agency.get_by_role("button", name="提交核查答复").click()
    expect(agency.get_by_role("main")).to_contain_text("待书面告知")
    expect(agency.get_by_role("main")).to_contain_text(CORRECTED)
    step(agency, "agency-answered")
    agency_context.close()

    # 4. Staff send the written decision.
    staff.reload()
    staff.get_by_role("button", name="出具书面告知书并通知申请人").click()
    expect(staff.get_by_role("main")).to_contain_text("已办结")
    step(staff, "staff-told")
    staff_context.close()

    # 5. The company: the notice in its inbox, the objection closed, the decision PDF.
    page.goto("/notices")
    notice = page.get_by_role("main").get_by_text(f"异议处理结果：{number}")
    expect(notice).to_have_count(1)
    step(page, "inbox")
    page.goto(objection_url)
    expect(page.get_by_role("main")).to_contain_text("已办结")
    with page.expect_download(timeout=SLOW) as download:
        page.get_by_role("link", name=re.compile("下载书面告知书")).click()
    text = _pdf_text(Path(download.value.path()).read_bytes())
    assert "信用信息异议处理结果告知书" in text and number in text and "经核查信息有误，予以更正" in text
    assert title in text  # the record as it was disputed
    link = re.search(r"/objections/verify/[A-Za-z0-9_.-]+", text).group(0)
    step(page, "objection-closed")
    page.goto(link)
    expect(page.get_by_role("main")).to_contain_text("有效")
    step(page, "decision-verified")

    # 6. The public profile, as anybody sees it: the corrected record and the correction notice.
    public = open_context().new_page()
    public.goto(f"/subjects/{uscc}/penalty")
    main = public.get_by_role("main")
    expect(main.get_by_role("listitem").filter(has_text=CORRECTED)).to_have_count(1)
    expect(main.get_by_text(title, exact=True)).to_have_count(0)
    notices = public.get_by_role("region", name="更正公告")
    expect(notices).to_contain_text(title)
    expect(notices).to_contain_text("予以更正")
    expect(main).not_to_contain_text("异议处理中")
    step(public, "profile-corrected")
