"""No class-B or class-C record and no unmasked ID number reaches any page or API response a
stranger can open (R-15, R-17; DESIGN rule 1). Unique markers are planted in B/C data; the URL list
is built from the application's routes (every GET route, path parameters filled from fixtures), and
each is fetched anonymously and as a logged-in stranger of every role."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest

from portal.accounts.tables import Role
from portal.records.tables import CreditRecord
from tests import factories as f

pytestmark = pytest.mark.anyio
OWN_AGENCY = "own_agency"


async def _plant():
    provider = await f.agency(name=f"泄露检测局{f.unique()}")
    company = await f.legal_subject(f"郑州泄检{f.unique()}有限公司")
    person = await f.natural_subject(name="钱泄检")
    today = date.today()
    markers = []
    for subject in (company, person):
        for cls in ("B", "C"):
            for record_type, category, polarity in (
                ("penalty", "penalty", "negative"),
                ("license", "license", "neutral"),
                ("general", "other_negative", "negative"),
                ("general", "other_positive", "positive"),
                ("general", "basic_other", "neutral"),
            ):
                marker = f"MARK{cls}{f.unique()}"
                markers.append(marker)
                detail = None
                if record_type == "penalty":
                    detail = {"violation_facts": marker + "facts", "subject_name": marker + "name"}
                elif record_type == "license":
                    detail = {"license_content": marker + "lic", "subject_name": marker + "name"}
                await f.record(
                    subject["id"],
                    provider["id"],
                    disclosure_class=cls,
                    record_type=record_type,
                    category=category,
                    polarity=polarity,
                    title=f"{marker}标题",
                    content=marker,
                    decision_date=today,
                    publicity_end=today + timedelta(days=365),
                    detail=detail,
                )
        marker = f"MARKL{f.unique()}"
        markers.append(marker)
        await f.list_entry(
            subject["id"], provider["id"], "black", list_name=marker, disclosure_class="B", listed_on=today
        )
    # A public record for each so the pages have something legitimate to show (a natural person's
    # penalty in its own category, the one the indicator catalogue opens to class A, R-08, R-17).
    for subject, category in ((company, "penalty"), (person, "person_penalty")):
        await f.record(
            subject["id"],
            provider["id"],
            record_type="penalty",
            category=category,
            polarity="negative",
            title="公开的处罚PUBLICOK",
            decision_date=today,
            publicity_end=today + timedelta(days=365),
        )
    return provider, company, person, markers


async def _owner_artefacts(app, company: dict) -> dict:
    """What the company's verified owner leaves behind: a query receipt, an issued report, a letter
    it filed for another subject. Strangers must find none of it, and none of its records."""
    from portal.reports.tables import IssuedReport
    from portal.reports.tokens import ReportClaim, sign_claim
    from tests.queryflow import csrf, logged_in, self_query, verified_account

    owner = await verified_account("enterprise", company["id"])
    async with logged_in(app, owner) as client:
        result = await self_query(client)
        assert result.status_code == 200
        report = await client.post(str(result.url) + "/report", data={"_csrf_token": csrf(client)})
        assert report.status_code == 200
    row = await IssuedReport.select().where(IssuedReport.subject == company["id"]).first()
    token = sign_claim(ReportClaim(row["report_no"], row["digest"], row["issued_at"], row["record_count"]))
    receipt = str(result.url).rsplit("/", 1)[1]
    # An objection to one of its class-B records, filed from that receipt, with evidence.
    from portal.records.tables import CreditRecord

    disputed = (
        await CreditRecord.select(CreditRecord.id)
        .where((CreditRecord.subject == company["id"]) & (CreditRecord.disclosure_class == "B"))
        .first()
    )
    async with logged_in(app, owner) as client:
        filed = await client.post(
            "/me/objections",
            data={"_csrf_token": csrf(client), "record": str(disputed["id"]), "receipt": receipt, "statement": "有误"},
            files=[("evidence", ("证据.pdf", _pdf(), "application/pdf"))],
            follow_redirects=False,
        )
        assert filed.status_code == 303, filed.text
        page = await client.get(filed.headers["location"])
    objection = filed.headers["location"].split("?")[0].rsplit("/", 1)[1]
    document = re.search(r"/documents/([A-Za-z0-9_-]+)", page.text).group(1)
    # A written decision on an objection of the company: its public check page shows none of the
    # statement or reasons.
    from portal.objections.decision import sign_decision

    secret = f"MARKOBJ{f.unique()}"
    decision_no = f.unique("YYGZ")
    decided = await f.objection_row(
        subject_id=company["id"],
        stage="closed",
        forwarded_on=date.today(),
        answered_on=date.today(),
        closed_on=date.today(),
        outcome="upheld",
        statement=secret,
        answer=secret,
        decision_no=decision_no,
        decision_text=secret,
    )
    # An opinion issued for the company (R-P2): its check page shows counts, never a record.
    opinion_id, opinion_token = await _issued_opinion(owner, company)
    return {
        "opinion": opinion_token,
        "verification": str(opinion_id),
        "receipt": receipt,
        "report": token,
        "objection": objection,
        "document": document,
        "decision": sign_decision(decided["id"], decision_no),
        "objection_secret": secret,
    }


async def _issued_opinion(owner: dict, company: dict) -> tuple[int, str]:
    from portal.accounts.sessions import Principal
    from portal.products.verifications import opinion, service
    from portal.products.verifications.tables import Verification

    applicant = Principal(owner["id"], owner["username"], "enterprise", "", company["id"], None, "", "")
    await service.apply(applicant, service.Application(purpose="awards", matter="评优评先测试事项"))
    staff = await f.account("staff")
    row = await Verification.select(Verification.id).where(Verification.subject == company["id"]).first()
    await service.issue(Principal(staff["id"], staff["username"], "staff", "", None, None, "信用中心", ""), row["id"])
    row = await Verification.select().where(Verification.id == row["id"]).first()
    return row["id"], opinion.sign(row["opinion_no"], row["digest"])


async def _commitments(company: dict, person: dict, markers: list[str]) -> dict:
    """A signed commitment of the company and a breached one of the person, accepted by an agency
    other than the provider (whose own officer is crawled). The breach facts are a marker (R-17)."""
    from portal.products.commitments.document import sign_token
    from portal.products.commitments.tables import Commitment
    from tests import commitmentflow as cf

    accepting = await f.agency(name=f"承诺受理局{f.unique()}")
    _, officer = await cf.officer(accepting["id"])
    ids = []
    for role, subject in (("enterprise", company), ("citizen", person)):
        _, signer = await cf.proven_subject(role, subject["id"])
        ids.append(await cf.signed(signer, accepting["id"], matter=f"承诺事项{f.unique()}"))
    marker = f"MARKCOMMIT{f.unique()}"
    markers.append(marker)
    await cf.breached(officer, ids[1], facts=marker)
    rows = await Commitment.select(Commitment.id, Commitment.number).where(Commitment.id.is_in(ids))
    return {"commitments": [str(i) for i in ids], "commitment_tokens": [sign_token(r["id"], r["number"]) for r in rows]}


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="evidence")
    return bytes(pdf.output())


def _values(fixtures: dict) -> dict[str, list[str]]:
    """Path-parameter values, per route path and placeholder ("path#{placeholder}"), per route path,
    or per placeholder for every route that has it."""
    from portal.lists.tables import ListType
    from portal.public.routes import TAB_LABELS

    company = fixtures["company"]
    return {
        "{uscc:str}": [company["uscc"]],
        "{tab:str}": list(TAB_LABELS),
        "/staff/catalogue/{code:str}": ["person_penalty", "penalty", "no_such_code"],
        "{list_type:str}": list(ListType.LABELS),
        # A class-B entry (its list name a marker) and a public one, on both lists.
        "/lists/{list_type:str}/{entry_id:int}#{entry_id:int}": fixtures["list_entries"],
        "{fmt:str}": ["csv", "xlsx"],
        "{token:path}": [fixtures["report"]],
        "/queries/{token:str}": [fixtures["receipt"]],
        "/uploads/{token:str}": ["A" * 32],
        "/reset/{token:str}": ["not-a-reset-token"],
        "/password/reset/{token:str}": ["not-a-reset-token"],
        "/objections/verify/{token:str}": [fixtures["decision"]],
        "/verifications/verify/{token:str}": [fixtures["opinion"]],
        "{verification_id:int}": [fixtures["verification"]],
        "{authorization_id:int}": ["1"],
        "{seq:int}": ["1"],
        "/schema/{path:str}": ["openapi.json"],
        "{objection_id:int}": [fixtures["objection"]],
        "/agency/templates/{name:str}": ["license.xlsx", "penalty.xlsx", "general.xlsx"],
        "{job_id:int}": ["1"],
        # Staff handle every objection: opening one about a non-public record is recorded as their
        # access (test_objections); the queue itself shows no such record.
        "/staff/objections/{objection_id:int}": ["999999999"],
        "/objections/{objection_id:int}/documents/{token:str}#{token:str}": [fixtures["document"]],
        "{record_type:str}": ["penalty", "license", "general"],
        "{record_id:int}": [fixtures["record"]],  # a provider's class-C record: another agency gets a 404
        # Staff views of an agency show counts, titles of its late licences and penalties (class A
        # items of 双公示) and key prefixes: the planted provider's own, and one that does not exist.
        "{agency_id:int}": [str(fixtures["provider"]["id"]), "999999999"],
        "{urge_id:int}": ["999999999"],
        "{slug:str}": ["zzb-2017-80", "no-such-policy"],
        "{announcement_id:int}": ["1", "999999999"],
        # R-P3: the company's credit report (its content a marker); no stranger opens its file.
        "{report_id:int}": [str(fixtures["credit_report"]["id"]), "999999999"],
        # 逢办必查: another agency's check of the company, its answer holding class-B markers (R-P5).
        "{number:str}": [fixtures["check"], "JC20261204FFFFFFFF"],
        "/staff/measures/{code:str}": [fixtures["measure"], "M99999"],
        # R-P1: a legal person's commitment and a natural person's breached one (its facts are a
        # class-B record, R-17); the standard texts are staff pages of public wording.
        "{commitment_id:int}": fixtures["commitments"],
        "/commitments/verify/{token:str}": fixtures["commitment_tokens"],
        "{text_id:int}": ["1"],
    }


def _query_params(fixtures: dict) -> dict[str, list[dict]]:
    company, provider, today = fixtures["company"], fixtures["provider"], date.today().isoformat()
    by_name = [{"name": company["name"]}, {"name": "泄检"}, {"doc": fixtures["doc_number"]}]
    return {
        "/search": [{"q": "泄检"}, {"q": company["name"]}, {"q": company["uscc"]}, {"q": "钱泄检"}],
        "/disclosures": [{}, {"type": "penalty"}, {"type": "license"}, {"agency": provider["code"]}, *by_name],
        # The export holds what the page shows: class A only, masked alike.
        "/disclosures/export/{fmt:str}": [{}, {"agency": provider["code"]}, *by_name],
        "/lists/{list_type:str}": [{}, {"name": company["name"]}, {"name": "泄检"}],
        "/api/v1/public/subjects": [{"q": "泄检"}],
        "/api/v1/public/disclosures": [{"since": today}, {"type": "penalty", "since": today}],
        "/staff/lists": [{}, {"list_type": "black", "agency": str(provider["id"])}, {"state": "removed"}],
        "/staff/timeliness": [{}, {"sort": "rate"}, {"sort": "late"}, {"sort": "nonsense"}],
        "/credit-reports/new": [{}, {"replaces": "999999999"}, {"replaces": str(fixtures["credit_report"]["id"])}],
    }


def _urls(app, fixtures: dict) -> list[tuple[str, dict]]:
    """Every GET route of the application, each parameter filled from the fixtures. A route with a
    parameter the fixtures cannot fill fails the test: a new page is crawled from its first day."""
    values, params = _values(fixtures), _query_params(fixtures)
    out = []
    for route in app.routes:
        if "GET" not in getattr(route, "methods", ()) or route.path.startswith("/static"):
            continue
        paths = [route.path]
        for placeholder in re.findall(r"{[^}]+}", route.path):
            filled = values.get(f"{route.path}#{placeholder}") or values.get(route.path) or values.get(placeholder)
            assert filled, f"no fixture value for {placeholder} of {route.path}"
            paths = [p.replace(placeholder, v) for p in paths for v in filled]
        out += [(p, q) for p in paths for q in params.get(route.path, [{}])]
    return out


async def _list_artefacts(provider: dict, company: dict) -> dict:
    """Ids of the planted class-B list entry and of a public one; a class-B record's 决定书文号."""
    from portal.lists.tables import ListEntry as L

    public = await f.list_entry(company["id"], provider["id"], "red", list_name="守信激励对象")
    hidden = await L.select(L.id).where((L.decided_by == provider["id"]) & L.list_name.like("MARKL%")).first()
    secret = (
        await CreditRecord.select(CreditRecord.doc_number)
        .where((CreditRecord.provider == provider["id"]) & CreditRecord.title.like("MARKB%"))
        .first()
    )
    return {"list_entries": [str(hidden["id"]), str(public)], "doc_number": secret["doc_number"]}


async def _check_artefacts(company: dict) -> dict:
    """A check by an agency that is none of the crawled accounts': its answer and printable record
    hold the company's class-B records, so every crawled role is a stranger to it (R-P5, R-15)."""
    from portal.products.checks import measures
    from portal.products.checks import service as checks

    checker = await f.agency(name=f"核查泄检局{f.unique()}")
    who = checks.Checker(checker["id"], checker["name"], "leak-check")
    q = checks.parse("legal", company["uscc"], "", "泄检事项", f.unique("LK-"), "supervision_approval")
    answer = await checks.check(who, q)
    assert answer.body["class_b"]["records"]  # the stored answer does hold non-public records
    code = await measures.add("black", "all", "泄检措施内容", "泄检措施依据", "test")
    return {"check": answer.number, "measure": code}


def _text(response) -> str:
    """What a reader sees: a workbook's cell values (its XML is compressed), no PDF bytes."""
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind and response.status_code == 200:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        return "\n".join(" ".join(str(v) for v in row if v is not None) for row in sheet.iter_rows(values_only=True))
    return response.text if "pdf" not in kind else ""


async def _fetch_all(client, urls) -> tuple[str, dict[str, int]]:
    bodies, statuses = [], {}
    for url, query in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = await client.get(url, params=query, headers=headers, follow_redirects=False)
            assert response.status_code < 500, f"{url} {query}: {response.status_code}"
            statuses[url] = response.status_code
            bodies.append(_text(response))
    return "\n".join(bodies), statuses


@pytest.mark.parametrize(
    "role",
    [
        None,
        Role.CITIZEN,
        Role.ENTERPRISE,
        Role.THIRD_PARTY,
        Role.AGENCY,
        OWN_AGENCY,
        Role.STAFF,
        Role.AUDITOR,
        Role.ADMIN,
    ],
)
async def test_no_b_or_c_marker_and_no_raw_id_on_any_page_a_stranger_can_open(app, client, role):
    provider, company, person, markers = await _plant()
    fixtures = {"provider": provider, "company": company, **await _owner_artefacts(app, company)}
    report_secret = f"MARKR{f.unique()}"  # R-P3: a credit report's content is never public
    markers.append(report_secret)
    fixtures["credit_report"] = await f.credit_report(company["id"], grade="CCC", secret=report_secret)
    fixtures["record"] = str(
        (
            await CreditRecord.select(CreditRecord.id)
            .where((CreditRecord.provider == provider["id"]) & CreditRecord.title.like("MARKC%"))
            .first()
        )["id"]
    )
    fixtures |= await _check_artefacts(company)
    fixtures |= await _list_artefacts(provider, company)
    fixtures.update(await _commitments(company, person, markers))
    if role:
        # A stranger's account: logging in must not widen what any page shows. An officer of another
        # agency is a stranger to the provider's records; the provider's own officer is crawled too.
        agency_id = provider["id"] if role == OWN_AGENCY else (await f.agency())["id"] if role == Role.AGENCY else None
        user = await f.account(Role.AGENCY if role == OWN_AGENCY else role, agency_id=agency_id)
        await f.login(client, user["username"])
    urls = _urls(app, fixtures)
    if role == OWN_AGENCY:  # the records desk lists the agency's own records, whatever their class
        urls = [(u, q) for u, q in urls if not u.startswith("/agency/records")]
    assert any(u.startswith("/subjects/") for u, _ in urls) and any(u.startswith("/queries/") for u, _ in urls)
    everything, statuses = await _fetch_all(client, urls)
    assert "PUBLICOK" in everything  # the crawl does reach the planted subjects
    assert statuses[f"/queries/{fixtures['receipt']}"] in (302, 303, 401, 404)  # someone else's receipt
    assert statuses[f"/objections/verify/{fixtures['decision']}"] == 200  # a genuine decision, checked
    assert fixtures["objection_secret"] not in everything
    hidden, shown = fixtures["list_entries"]
    assert statuses[f"/lists/black/{hidden}"] == 404 and statuses[f"/lists/red/{shown}"] == 200
    assert statuses["/disclosures/export/xlsx"] == 200
    assert fixtures["credit_report"]["agency_name"] in everything  # its existence is public (R-P3)
    assert statuses[f"/agency/checks/{fixtures['check']}"] in (302, 303, 401, 403, 404)  # another agency's check
    assert statuses[f"/agency/checks/{fixtures['check']}/record.pdf"] in (302, 303, 401, 403, 404)
    assert statuses[f"/api/v1/checks/{fixtures['check']}/record.pdf"] == 401  # only with the agency's key
    if role == Role.AGENCY:
        assert statuses[f"/agency/records/{fixtures['record']}"] == 404  # another agency's record
    leaked = [m for m in markers if m in everything]
    assert leaked == []
    assert person["id_number"] not in everything
    masked = person["id_number"][:4] + "**********" + person["id_number"][-4:]
    assert masked in everything  # the natural person's public penalty shows the masked form
