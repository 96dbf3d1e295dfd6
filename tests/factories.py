"""Small, explicit test data: each test makes its own subjects with unique names and codes."""

from __future__ import annotations

import itertools
import random
from datetime import date

from portal.accounts.passwords import hash_password
from portal.accounts.tables import Account
from portal.agencies.tables import Agency
from portal.lib import id_number as idn
from portal.lib import uscc as uscc_rules
from portal.lib.masking import mask_id_number
from portal.lists.tables import ListEntry
from portal.records.tables import CreditRecord, LicenseDetail, PenaltyDetail
from portal.subjects.identity import id_number_digest, seal_id_number
from portal.subjects.tables import Subject

_counter = itertools.count(1)
_rng = random.Random()
PASSWORD = "Test-Passw0rd!"
_HASH_CACHE: dict[str, str] = {}


def unique(prefix: str = "") -> str:
    return f"{prefix}{next(_counter)}{_rng.randrange(10**6):06d}"


def new_uscc() -> str:
    body = "91410105" + "".join(_rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return uscc_rules.make(body)


def new_id_number() -> str:
    return idn.make(
        "410105",
        date(1960 + _rng.randrange(40), 1 + _rng.randrange(12), 1 + _rng.randrange(28)),
        f"{_rng.randrange(1000):03d}",
    )


async def agency(name: str | None = None) -> dict:
    code = unique("T-")
    row = Agency(code=code, name=name or f"测试部门{code}")
    await row.save()
    return {"id": row.id, "code": code, "name": row.name}


async def legal_subject(name: str | None = None, **fields) -> dict:
    code = new_uscc()
    row = Subject(
        kind="legal",
        subject_type="enterprise",
        name=name or f"郑州测试{unique()}有限公司",
        uscc=code,
        legal_representative="张测试",
        registration_authority="郑州市市场监督管理局",
        address="郑州市金水区花园路1号",
        **fields,
    )
    await row.save()
    from portal.search.index import index_subject

    await index_subject(row.id, row.name, "legal")
    return {"id": row.id, "uscc": code, "name": row.name}


async def natural_subject(name: str = "李测试") -> dict:
    number = new_id_number()
    row = Subject(
        kind="natural",
        subject_type="natural",
        name=name,
        id_number_digest=id_number_digest(number),
        id_number_masked=mask_id_number(number),
        id_number_sealed=seal_id_number(number),
    )
    await row.save()
    return {"id": row.id, "name": name, "id_number": number}


async def record(
    subject_id: int,
    provider_id: int,
    *,
    disclosure_class: str = "A",
    record_type: str = "general",
    category: str = "other_positive",
    polarity: str = "positive",
    title: str = "测试记录",
    content: str = "",
    decision_date: date = date(2025, 6, 1),
    publicity_end: date | None = None,
    act_end_date: date | None = None,
    status: str = "in_force",
    detail: dict | None = None,
) -> int:
    row = CreditRecord(
        subject=subject_id,
        provider=provider_id,
        disclosure_class=disclosure_class,
        record_type=record_type,
        category=category,
        polarity=polarity,
        title=title,
        content=content,
        doc_number=unique("郑测字〔2025〕"),
        decision_date=decision_date,
        publicity_end=publicity_end,
        act_end_date=act_end_date,
        status=status,
    )
    await row.save()
    if record_type == "penalty":
        values = {
            "subject_name": "",
            "violation_type": "测试违法类型",
            "penalty_category": "罚款",
            "authority": "测试机关",
            "data_source": "测试机关",
            **(detail or {}),
        }
        await PenaltyDetail(record=row.id, **values).save()
    elif record_type == "license":
        values = {
            "subject_name": "",
            "project_name": "测试许可",
            "approval_category": "普通",
            "authority": "测试机关",
            "data_source": "测试机关",
            **(detail or {}),
        }
        await LicenseDetail(record=row.id, **values).save()
    return row.id


async def list_entry(subject_id: int, agency_id: int, list_type: str = "black", **fields) -> int:
    row = ListEntry(
        subject=subject_id,
        decided_by=agency_id,
        list_type=list_type,
        list_name=fields.pop("list_name", "失信被执行人"),
        listed_on=fields.pop("listed_on", date(2025, 1, 1)),
        **fields,
    )
    await row.save()
    return row.id


async def account(
    role: str, *, subject_id: int | None = None, agency_id: int | None = None, password: str = PASSWORD
) -> dict:
    username = unique(f"{role.replace('_', '')}-")
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = hash_password(password)
    row = Account(
        username=username,
        password_hash=_HASH_CACHE[password],
        role=role,
        display_name=f"测试{role}",
        subject=subject_id,
        agency=agency_id,
    )
    await row.save()
    return {"id": row.id, "username": username, "password": password}


async def login(client, username: str, password: str = PASSWORD):
    """Log in through the real form (CSRF cookie first, as a browser would)."""
    page = await client.get("/login")
    token = page.cookies.get("csrftoken") or client.cookies.get("csrftoken")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "next": "/account", "_csrf_token": token},
        follow_redirects=False,
    )


async def proven(role: str, *, subject_id: int | None = None, organisation: str = "") -> dict:
    """An account whose identity proof staff accepted (R-18): citizens and enterprises linked to
    their subject (a legal subject of its own for an enterprise when none is given); a credit-service
    body with its organisation confirmed."""
    from datetime import datetime, timezone

    from portal.proofs.tables import IdentityProof, ProofMethod, ProofStatus

    if role == "enterprise" and subject_id is None:
        subject_id = (await legal_subject())["id"]
    user = await account(role, subject_id=subject_id)
    if role == "third_party":
        organisation = organisation or f"测试信用服务{unique()}有限公司"
    elif role == "enterprise":
        organisation = (
            organisation or (await Subject.select(Subject.name).where(Subject.id == subject_id).first())["name"]
        )
    if organisation:
        await Account.update({Account.organisation: organisation}).where(Account.id == user["id"])
    now = datetime.now(timezone.utc)
    await IdentityProof(
        account=user["id"],
        subject=subject_id,
        method=ProofMethod.ORGANISATION if role == "third_party" else ProofMethod.COUNTER,
        status=ProofStatus.VERIFIED,
        submitted_at=now,
        reviewed_at=now,
    ).save()
    return {**user, "organisation": organisation, "subject_id": subject_id}


async def objection(
    subject_id: int, record_id: int, agency_id: int, account_id: int, stage: str = "received", **fields
) -> int:
    """An objection row with the required columns (R-22); the procedure itself is not driven here."""
    from datetime import datetime, timezone

    from portal.objections.tables import Objection

    now = datetime.now(timezone.utc)
    row = Objection(
        number=fields.pop("number", unique("YY")[:24]),
        subject=subject_id,
        record=record_id,
        record_version=fields.pop("record_version", 1),
        agency=agency_id,
        channel=fields.pop("channel", "online"),
        filed_by=account_id,
        applicant_name=fields.pop("applicant_name", "测试申请人"),
        statement=fields.pop("statement", "该信息有误"),
        received_on=fields.pop("received_on", now.date()),
        received_at=now,
        stage=stage,
        **fields,
    )
    await row.save()
    return row.id


async def correction_notice(subject_id: int, objection_id: int, title: str, body: str) -> int:
    """A 更正公告 as the procedure publishes it after a wrong sanction (R-24)."""
    from datetime import datetime, timezone

    from portal.objections.tables import CorrectionNotice

    row = CorrectionNotice(
        subject=subject_id, objection=objection_id, title=title, body=body, published_at=datetime.now(timezone.utc)
    )
    await row.save()
    return row.id


async def objection_row(
    *,
    subject_id: int | None = None,
    agency_id: int | None = None,
    record_id: int | None = None,
    received_on: date = date(2026, 9, 30),
    stage: str = "received",
    **fields,
) -> dict:
    """An objection stored as it stands at some stage, with chosen step dates (R-22 … R-24);
    whatever is not given (subject, providing agency, record, filer) is made here."""
    from datetime import datetime, time, timezone

    from portal.objections.tables import Objection

    if agency_id is None:
        agency_id = (await agency())["id"]
    if subject_id is None:
        subject_id = (await legal_subject())["id"]
    if record_id is None:
        record_id = await record(subject_id, agency_id, title=f"异议测试记录{unique()}")
    filed_by = fields.pop("filed_by", None) or (await account("citizen", subject_id=subject_id))["id"]
    row = Objection(
        number=fields.pop("number", None) or unique("YY"),
        subject=subject_id,
        record=record_id,
        record_version=1,
        agency=agency_id,
        channel=fields.pop("channel", "online"),
        filed_by=filed_by,
        applicant_name=fields.pop("applicant_name", "王申请"),
        statement=fields.pop("statement", "该记录与事实不符。"),
        received_on=received_on,
        received_at=datetime.combine(received_on, time(2, 0), tzinfo=timezone.utc),
        stage=stage,
        **fields,
    )
    await row.save()
    return {
        "id": row.id,
        "number": row.number,
        "subject_id": subject_id,
        "agency_id": agency_id,
        "record_id": record_id,
    }


async def credit_report(
    subject_id: int, *, grade: str = "BBB", secret: str = "", report_date: date | None = None
) -> dict:
    """A registered credit-service agency, one of its staff, an effective authorisation and a valid
    credit report on the subject whose risk warnings and basic section carry ``secret`` (R-P3).
    Rows are written directly: how a report is uploaded is test_credit_reports' business."""
    import json
    from datetime import datetime, timedelta, timezone

    from fpdf import FPDF

    from portal.authorizations.tables import Authorization
    from portal.products.credit_reports.service import valid_until_of
    from portal.products.credit_reports.tables import CreditAgencyMember, CreditReport, CreditServiceAgency
    from portal.uploads.service import store_upload

    now, today = datetime.now(timezone.utc), date.today()
    report_date = report_date or today - timedelta(days=10)
    agency = CreditServiceAgency(
        name=f"测试信用评级{unique()}有限公司",
        uscc=new_uscc(),
        filing_no=unique("备-"),
        registered_on=date(2025, 1, 2),
        created_at=now,
    )
    await agency.save()
    member = await account("third_party")
    await CreditAgencyMember(agency=agency.id, account=member["id"], linked_by="test", linked_at=now).save()
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="credit report")
    upload = await store_upload(
        bytes(pdf.output()), owner_id=member["id"], purpose="credit_report", original_name="r.pdf"
    )
    authorization = Authorization(
        requester=member["id"],
        requester_org=agency.name,
        subject=subject_id,
        reason_code="credit_report",
        scope_classes="A",
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=30),
        letter=upload["id"],
        status="effective",
        confirmed_via="subject",
        created_at=now,
    )
    await authorization.save()
    report = CreditReport(
        agency=agency.id,
        subject=subject_id,
        authorization=authorization.id,
        report_no=unique("XY-"),
        grade=grade,
        risk_warnings=f"风险提示{secret}",
        content=json.dumps({"basic": f"基本情况{secret}"}, ensure_ascii=False),
        report_date=report_date,
        valid_until=valid_until_of(report_date),
        file=upload["id"],
        uploaded_by=member["id"],
        created_at=now,
    )
    await report.save()
    return {
        "id": report.id,
        "agency_id": agency.id,
        "agency_name": agency.name,
        "filing_no": agency.filing_no,
        "member": member,
    }
