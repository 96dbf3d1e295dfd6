"""Demo query scenario (issue 3): every role has something to see after ``make run``.

The demo citizen and enterprise are identity-verified (a counter check by the demo staff member),
and the demo credit-service body's organisation proof is accepted (R-18: only proven accounts query);
the demo credit-service body is a registered agency (备案) with thirdparty as its member and holds
one authorisation the enterprise confirmed online and one still pending; the demo agency is granted
one class-C category. Then a few hundred queries go through the real disclosure path
(``portal.disclosure.service``), so the query log, "谁查询了我" and the auditor's pages show real,
hash-chained entries, allowed and refused. Idempotent: skipped when the demo citizen is already verified.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from portal.accounts.tables import Account
from portal.authorizations import service as authorizations
from portal.demo.accounts import THIRD_PARTY_AGENCY
from portal.disclosure import service as disclosure
from portal.disclosure.service import Method, Requester, Scope
from portal.lib import uscc
from portal.lib.dates import today_cn
from portal.products.credit_reports import registry
from portal.proofs.tables import IdentityProof
from portal.sharing import service as sharing
from portal.subjects.tables import Subject
from portal.uploads.service import store_upload

__all__ = ["seed_queries"]

GRANTED_CATEGORY = "tax_violation"  # the demo agency's class-C grant (R-15: named per category)
GRANT_BASIS = (
    "演示数据：《郑州市公共信用信息管理暂行办法》（郑政办〔2017〕80号）第十五条，有限共享类信息按类别向有关部门提供"
)
AGENCY_QUERIES = 240
# The demo credit-service agency (R-P3). Its code's region 410000 (province) never collides with
# the generated subjects' (4101…).
AGENCY_FORM = registry.AgencyForm(
    name=THIRD_PARTY_AGENCY,
    uscc=uscc.make("91410000MA47CX3N1"),
    filing_no="豫信服备〔2025〕001号（演示）",
    registered_on=date(2025, 6, 1),
    business_scope="信用报告、信用评级、信用管理咨询（演示）",
    contact="0371-00000000（演示）",
)


def _letter_pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.multi_cell(w=0, text=text)
    return bytes(pdf.output())


def _requester(account: dict) -> Requester:
    return Requester(account["id"], account["username"], account["role"], account["organisation"] or "")


async def seed_queries(seed: int = 1) -> int:
    """Returns how many query-log entries were written (0 when already done)."""
    accounts = {a["username"]: a for a in await Account.select()}
    citizen, enterprise, third, officer, staff = (
        accounts[u] for u in ("citizen", "enterprise", "thirdparty", "agency", "staff")
    )
    if await IdentityProof.exists().where(IdentityProof.account == citizen["id"]):
        return 0
    now = datetime.now(timezone.utc)
    for account, method in ((citizen, "counter"), (enterprise, "counter"), (third, "organisation")):
        await IdentityProof(
            account=account["id"],
            subject=account["subject"],
            method=method,
            status="verified",
            submitted_at=now,
            reviewed_by=staff["id"],
            reviewed_at=now,
            note="演示数据：窗口核验" if method == "counter" else "演示数据：机构材料已审核",
        ).save()
    # As staff register it at /staff/credit-agencies: the thirdparty account acts for a registered
    # agency, so the demo's credit-report flow works (R-P3).
    agency_id = await registry.register(AGENCY_FORM, staff["username"], today_cn())
    await registry.link_member(agency_id, third["username"], staff["username"])
    # Through the sharing service, so the grant has its basis and its history row.
    actor = sharing.Actor(staff["id"], staff["username"])
    await sharing.grant_agency(actor, officer["agency"], GRANTED_CATEGORY, GRANT_BASIS)

    target = await Subject.select().where(Subject.id == enterprise["subject"]).first()
    today = today_cn()
    ids = []
    for classes, days in ((("A", "B"), 90), (("A", "B", "C"), 30)):
        letter = await store_upload(
            _letter_pdf(f"Written authorisation (demo) - {target['uscc']}"),
            owner_id=third["id"],
            purpose="authorization_letter",
            original_name="授权书.pdf",
        )
        filing = authorizations.Filing(
            subject_kind="legal",
            uscc=target["uscc"],
            reason_code="credit_report",
            reason_text="为该企业出具第三方信用报告（演示）",
            classes=classes,
            valid_from=today,
            valid_until=today + timedelta(days=days),
            letter_id=letter["id"],
        )
        ids.append(await authorizations.file_request(third, filing, today))
    await authorizations.decide_by_subject(enterprise, ids[0], approve=True)  # the second stays pending

    written = 0

    async def query(requester: Requester, subject_id: int, scope: Scope, method: str, code: str, text: str, **kw):
        nonlocal written
        subject = await disclosure.load_subject(subject_id)
        await disclosure.disclose(requester, subject, scope, method=method, reason_code=code, reason_text=text, **kw)
        written += 1

    everything = Scope.of("A,B,C")
    for account in (citizen, enterprise, citizen):
        await query(_requester(account), account["subject"], everything, Method.SELF, "self_query", "本人网上查询")
    letter_sha256 = (await authorizations.get(ids[0]))["letter_sha256"]
    authority = disclosure.Authority(ref=f"authorization:{ids[0]}", sha256=letter_sha256)
    for _ in range(2):
        await query(
            _requester(third),
            target["id"],
            Scope.of("A,B"),
            Method.THIRD_PARTY,
            "credit_report",
            "出具第三方信用报告",
            authority=authority,
        )
    await disclosure.refuse(
        _requester(third),
        target,
        method=Method.THIRD_PARTY,
        code="authorization_not_effective",
        scope_text="A,B,C",
        reason_code="credit_report",
        authority=disclosure.Authority(ref=f"authorization:{ids[1]}"),
    )
    written += 1

    rng = random.Random(seed)
    pool = [r["id"] for r in await Subject.select(Subject.id).limit(2000)]
    reasons = ("supervision_approval", "procurement_bidding", "fiscal_funds", "awards_honours", "qualification")
    for i in range(AGENCY_QUERIES):
        code = rng.choice(reasons)
        await query(
            _requester(officer),
            rng.choice(pool),
            Scope.of("B"),
            Method.AGENCY,
            code,
            f"审批编号 郑审〔2026〕{1000 + i}号（演示）",
        )
    return written
