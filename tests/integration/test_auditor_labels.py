"""The auditor reads Chinese, never a bare code (R-19): every method, reason and scope the portal
records is named in Chinese at /audit/log, /audit/log/{seq} and in the CSV/XLSX exports, and the
查询事由 filter offers every reason the portal records.

One entry comes from a real 信用信息查询意见 issued over HTTP; the others are written through the real
recorder with the codes each portal call site records (named beside each one).
"""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from audit import recorder
from audit.recorder import QueryEvent
from portal.products.verifications.tables import Verification
from portal.uploads.tables import UploadPurpose
from tests import factories as f
from tests.integration.test_auditor import _auditor
from tests.integration.test_verifications import _company, _issued

pytestmark = pytest.mark.anyio

# (method, reason_code, scope) as the portal's call sites record them.
RECORDED = [
    ("web_self", "self_query", "A,B,C"),  # queries.service.self_query
    ("third_party", "credit_report", "A,B"),  # queries.service.authorised_query
    ("third_party", "financing", "A,B,C;tax_violation"),
    ("third_party", "", ""),  # a stranger's refused attempt: no reason, no scope
    ("agency", "supervision_approval", "B,C;tax_violation"),  # queries.service.agency_query
    ("counter", "objection_intake", "A,B,C"),  # queries.service.counter_query
    ("api", "qualification", "B"),  # products.checks (a system's key)
    ("agency", "fiscal_funds", "A"),  # products.checks, class B withheld
    ("verification", "verification", "A"),  # products.verifications, an opinion for other applicants
    ("staff_review", "objection", "C"),  # objections.service.record_staff_view
    ("staff_review", "staff_review", "id_number"),  # proofs.reveal.number_for_review
    ("owner_view", "owner_view", "id_number"),  # proofs.reveal.number_for_owner
    ("auditor_view", "audit_export_csv", "audit_log"),  # audit.routes (the auditors' own views)
] + [("staff_review", p, f"document:{p}") for p in UploadPurpose.ALL]  # uploads.service staff download

# A code in a cell: a lower-case word (verification, audit_log, tax_violation) or a lone class letter.
BARE = re.compile(r"(?<![A-Za-z])[a-z_]{3,}|(?<![A-Za-z0-9])[ABC](?![A-Za-z0-9])")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _named(cell: str, code: str) -> bool:
    """Chinese, and no code in it (an empty code may show as —)."""
    if not code:
        return cell in ("", "—")
    return bool(CJK.search(cell)) and not BARE.search(cell)


def _dd(page: str, title: str) -> str:
    found = re.search(rf"<dt[^>]*>{title}</dt><dd>(.*?)(?:<span|</dd>)", page, re.S)
    assert found, title
    return html.unescape(found.group(1)).strip()


def _row_cells(page: str, seq: int) -> list[str]:
    row = re.search(rf'data-seq="{seq}".*?</tr>', page, re.S)
    assert row, seq
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    return [html.unescape(re.sub(r"<span.*?</span>|<[^>]+>", "", c, flags=re.S)).strip() for c in cells]


async def _seed() -> tuple[str, list[dict]]:
    org = f"标签测试机构{f.unique()}"
    entries = []
    for i, (method, reason, scope) in enumerate(RECORDED):
        event = QueryEvent(
            requester_account=f"labels-{i}",
            requester_role="staff",
            requester_org=org,
            method=method,
            reason_code=reason,
            reason_text="",
            subject_ref="l:" + f"labels{i}".encode().hex().ljust(64, "0"),
            subject_label="郑州标签测试有限公司",
            scope=scope,
            outcome="allowed" if reason else "refused:not_requester",
        )
        receipt = await recorder.record(event)
        entries.append({"seq": receipt.seq, "method": method, "reason": reason, "scope": scope})
    return org, entries


async def test_every_recorded_method_reason_and_scope_is_named_in_chinese(app):
    row, *_ = await _issued(app, await _company())  # a real opinion: verification, A,B
    real = await Verification.select(Verification.audit_seq).where(Verification.id == row["id"]).first()
    org, entries = await _seed()
    entries.append({"seq": real["audit_seq"], "method": "verification", "reason": "verification", "scope": "A,B"})
    async with _auditor(app) as client:
        for e in entries:
            page = (await client.get(f"/audit/log/{e['seq']}")).text
            for title, code in (("查询方式", e["method"]), ("查询事由", e["reason"]), ("查询范围", e["scope"])):
                assert _named(_dd(page, title), code), (e, title, _dd(page, title))

        listing = (await client.get(f"/audit/log?org={quote(org)}")).text
        for e in entries[:-1]:
            cells = _row_cells(listing, e["seq"])
            assert _named(cells[4], e["method"]) and _named(cells[5], e["reason"]), (e, cells)

        # The filter offers every reason recorded, in Chinese, and finds the real opinion by it.
        select = re.search(r'<select name="reason".*?</select>', listing, re.S).group(0)
        options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))
        for e in entries:
            if e["reason"]:
                assert _named(options.get(e["reason"], ""), e["reason"]), e["reason"]
        found = (await client.get("/audit/log?reason=verification")).text
        assert f'data-seq="{real["audit_seq"]}"' in found

        rows = {}
        for query in (f"org={quote(org)}", "reason=verification"):
            body = (await client.get(f"/audit/export.csv?{query}")).content.decode("utf-8-sig")
            header, *lines = list(csv.reader(io.StringIO(body)))
            rows.update({int(r[0]): dict(zip(header, r)) for r in lines})
            book = load_workbook(io.BytesIO((await client.get(f"/audit/export.xlsx?{query}")).content))
            sheet = list(book["查询记录"].iter_rows(values_only=True))
            for values in sheet[1:]:
                rows[("xlsx", values[0])] = dict(zip(sheet[0], ["" if v is None else str(v) for v in values]))
        for e in entries:
            for key in (e["seq"], ("xlsx", e["seq"])):
                got = rows[key]
                for column, code in (("查询方式", e["method"]), ("查询事由", e["reason"]), ("查询范围", e["scope"])):
                    assert _named(got[column], code), (key, column, got[column])
