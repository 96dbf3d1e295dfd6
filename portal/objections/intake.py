"""Which record a person may object to, and from where (R-22; DESIGN rules 2 and 8).

Online, the subject objects to a record it was shown: one of its class-A records (public anyway)
or a record of its own self-query's receipt. At the counter, staff take a written objection to a
record of a counter query made with the person present. Nobody picks a record id blindly.
"""

from __future__ import annotations

from portal.accounts.sessions import Principal
from portal.disclosure.service import Method, load_subject
from portal.lib.dates import today_cn
from portal.objections.stages import MAX_DOCUMENTS, ObjectionError
from portal.proofs import service as proofs
from portal.publication.rules import public
from portal.queries import service as queries
from portal.records.tables import CreditRecord
from portal.settings import get_settings
from portal.uploads.routes import UPLOAD_LIMITS

__all__ = ["FORM_LIMITS", "record_for_subject", "record_for_counter"]

R = CreditRecord
FORM_LIMITS = {
    **UPLOAD_LIMITS,  # the same Chinese 413, for up to MAX_DOCUMENTS files
    "request_max_body_size": MAX_DOCUMENTS * get_settings().upload_max_bytes + 256 * 1024,
}
_COLUMNS = (
    R.id,
    R.subject,
    R.title,
    R.category,
    R.polarity,
    R.disclosure_class,
    R.doc_number,
    R.decision_date,
    R.content,
    R.status,
    R.provider.name.as_alias("provider_name"),
)


async def _from_receipt(p: Principal, token: str, record_id: int, method: str) -> tuple[dict, dict]:
    try:
        found = await queries.result(p, token)
    except queries.ReceiptExpired:
        raise ObjectionError("查询结果已超过查看时限，请重新查询后再提出异议", 410) from None
    except queries.NotFound:
        raise ObjectionError("未找到该查询结果", 404) from None
    if found.method != method:
        raise ObjectionError("未找到该查询结果", 404)
    record = next((r for r in found.disclosure.records if r["id"] == record_id), None)
    if record is None:
        raise ObjectionError("该查询结果中没有这条记录", 404)
    return found.disclosure.subject, record


async def record_for_subject(p: Principal, record_id: int, receipt: str = "") -> dict:
    """The record as the subject was shown it, plus the applicant's name; else ObjectionError."""
    if not p.subject_id or not await proofs.is_proven(p.account_id):
        raise ObjectionError("身份核验通过后方可在网上提出异议；也可携带有效证件到信用中心窗口书面提出", 403)
    if receipt:
        subject, record = await _from_receipt(p, receipt, record_id, Method.SELF)
    else:
        record = (
            await R.select(*_COLUMNS)
            .where((R.id == record_id) & (R.subject == p.subject_id) & public(today_cn()))
            .first()
        )
        if record is None:
            raise ObjectionError(
                "未找到您名下的这条公开信用记录；非公开信息请先查询本人信用信息，再从查询结果中提出异议", 404
            )
        subject = await load_subject(p.subject_id)
    return {**record, "applicant": subject["name"]}


async def record_for_counter(p: Principal, record_id: int, receipt: str) -> tuple[dict, dict]:
    """(subject, record) of a counter query staff made with the applicant present."""
    return await _from_receipt(p, receipt, record_id, Method.COUNTER)
