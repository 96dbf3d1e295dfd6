"""信用服务机构备案 (R-P3; KS 第二十条、第二十六条): the registry staff keep — registration data,
status with its history, the accounts acting for each agency — and the public 名录."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from portal.accounts.tables import Account, Role
from portal.lib import uscc as uscc_rules
from portal.lists.tables import ListEntry
from portal.products.credit_reports.tables import AgencyStatus as St
from portal.products.credit_reports.tables import CreditAgencyChange, CreditAgencyMember, CreditServiceAgency
from portal.records.tables import CreditRecord
from portal.subjects.tables import Subject

__all__ = [
    "RegistryError",
    "AgencyForm",
    "ACTIONS",
    "register",
    "change_status",
    "all_agencies",
    "directory",
    "detail",
    "link_member",
    "unlink_member",
    "agency_of_account",
]

CSA = CreditServiceAgency
# action: (statuses it may start from, status after, label)
ACTIONS = {
    "suspend": ((St.ACTIVE,), St.SUSPENDED, "暂停"),
    "reinstate": ((St.SUSPENDED,), St.ACTIVE, "恢复"),
    "cancel": ((St.ACTIVE, St.SUSPENDED), St.CANCELLED, "注销"),
}
ACTION_LABELS = {"register": "备案", **{k: v[2] for k, v in ACTIONS.items()}}
_COLUMNS = (
    CSA.id,
    CSA.name,
    CSA.uscc,
    CSA.filing_no,
    CSA.registered_on,
    CSA.business_scope,
    CSA.contact,
    CSA.status,
    CSA.status_reason,
)


class RegistryError(ValueError):
    """A problem staff can fix; the message is shown as is."""


@dataclass
class AgencyForm:
    name: str = ""
    uscc: str = ""
    filing_no: str = ""
    registered_on: date | None = None
    business_scope: str = ""
    contact: str = ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _checked(form: AgencyForm, today: date) -> AgencyForm:
    name, filing_no = form.name.strip(), form.filing_no.strip()
    code = uscc_rules.normalize(form.uscc)
    if not name or len(name) > 200:
        raise RegistryError("请填写机构名称（200字以内）")
    if error := uscc_rules.validation_error(code):
        raise RegistryError(error)
    if not filing_no or len(filing_no) > 60:
        raise RegistryError("请填写备案编号（60字以内）")
    if form.registered_on is None or form.registered_on > today:
        raise RegistryError("请填写备案日期，且不能晚于今天")
    return AgencyForm(
        name, code, filing_no, form.registered_on, form.business_scope.strip()[:2000], form.contact.strip()[:200]
    )


async def register(form: AgencyForm, actor: str, today: date) -> int:
    f = _checked(form, today)
    if await CSA.exists().where((CSA.uscc == f.uscc) | (CSA.filing_no == f.filing_no)):
        raise RegistryError("该统一社会信用代码或备案编号已登记")
    async with CSA._meta.db.transaction():
        rows = await CSA.insert(
            CSA(
                name=f.name,
                uscc=f.uscc,
                filing_no=f.filing_no,
                registered_on=f.registered_on,
                business_scope=f.business_scope,
                contact=f.contact,
                status=St.ACTIVE,
                created_at=_now(),
            )
        )
        agency_id = rows[0]["id"]
        await _log(agency_id, "register", St.ACTIVE, "", actor)
    return agency_id


async def _log(agency_id: int, action: str, status: str, reason: str, actor: str) -> None:
    await CreditAgencyChange.insert(
        CreditAgencyChange(agency=agency_id, action=action, status=status, reason=reason, actor=actor, at=_now())
    )


async def change_status(agency_id: int, action: str, reason: str, actor: str) -> None:
    """Suspend, reinstate or cancel, with the reason on the history (KS 第二十六条: market exit)."""
    if action not in ACTIONS:
        raise RegistryError("未知的操作")
    reason = reason.strip()
    if len(reason) < 4 or len(reason) > 500:
        raise RegistryError("请写明原因（4至500字）")
    sources, target, label = ACTIONS[action]
    async with CSA._meta.db.transaction():
        changed = (
            await CSA.update({CSA.status: target, CSA.status_reason: reason})
            .where((CSA.id == agency_id) & CSA.status.is_in(list(sources)))
            .returning(CSA.id)
        )
        if not changed:
            raise RegistryError(f"该机构当前状态不能{label}")
        await _log(agency_id, action, target, reason, actor)


async def all_agencies() -> list[dict]:
    return await CSA.select(*_COLUMNS).order_by(CSA.registered_on, ascending=False).order_by(CSA.id).limit(1000)


async def directory() -> list[dict]:
    """The public 名录: registration data and status, no staff and no reasons beyond the status."""
    return (
        await CSA.select(CSA.name, CSA.uscc, CSA.filing_no, CSA.registered_on, CSA.business_scope, CSA.status)
        .order_by(CSA.registered_on, ascending=False)
        .order_by(CSA.id)
        .limit(1000)
    )


async def detail(agency_id: int) -> dict | None:
    agency = await CSA.select(*_COLUMNS).where(CSA.id == agency_id).first()
    if agency is None:
        return None
    M, C = CreditAgencyMember, CreditAgencyChange
    agency["history"] = (
        await C.select(C.action, C.status, C.reason, C.actor, C.at).where(C.agency == agency_id).order_by(C.id)
    )
    agency["members"] = (
        await M.select(
            M.account.id.as_alias("account_id"),
            M.account.username.as_alias("username"),
            M.account.display_name.as_alias("display_name"),
            M.account.is_active.as_alias("is_active"),
            M.linked_at,
        )
        .where(M.agency == agency_id)
        .order_by(M.id)
    )
    agency["subject"] = await _own_subject(agency["uscc"])
    return agency


async def _own_subject(uscc: str) -> dict | None:
    """The agency as a legal person on the platform, with its public negative information (KS 第二十六条)."""
    subject = await Subject.select(Subject.id, Subject.name, Subject.uscc).where(Subject.uscc == uscc).first()
    if subject is None:
        return None
    subject["negative_records"] = await CreditRecord.count().where(
        (CreditRecord.subject == subject["id"])
        & (CreditRecord.polarity == "negative")
        & (CreditRecord.status == "in_force")
        & (CreditRecord.disclosure_class == "A")
    )
    subject["black_entries"] = await ListEntry.count().where(
        (ListEntry.subject == subject["id"])
        & (ListEntry.list_type == "black")
        & (ListEntry.status == "in_force")
        & (ListEntry.disclosure_class == "A")
    )
    return subject


async def link_member(agency_id: int, username: str, actor: str) -> None:
    """A ``third_party`` account now acts for this agency (one agency per account)."""
    account = (
        await Account.select(Account.id, Account.role, Account.is_active)
        .where(Account.username == username.strip().lower())
        .first()
    )
    if account is None or account["role"] != Role.THIRD_PARTY or not account["is_active"]:
        raise RegistryError("没有该用户名的有效信用服务机构账号")
    agency = await CSA.select(CSA.status).where(CSA.id == agency_id).first()
    if agency is None or agency["status"] == St.CANCELLED:
        raise RegistryError("已注销的机构不能添加人员")
    if await CreditAgencyMember.exists().where(CreditAgencyMember.account == account["id"]):
        raise RegistryError("该账号已是某一信用服务机构的人员")
    await CreditAgencyMember.insert(
        CreditAgencyMember(agency=agency_id, account=account["id"], linked_by=actor, linked_at=_now())
    )


async def unlink_member(agency_id: int, account_id: int) -> None:
    await CreditAgencyMember.delete().where(
        (CreditAgencyMember.agency == agency_id) & (CreditAgencyMember.account == account_id)
    )


async def agency_of_account(account_id: int) -> dict | None:
    """The registered agency this account acts for, with its status; None if it acts for none."""
    M = CreditAgencyMember
    return (
        await M.select(
            M.agency.id.as_alias("id"),
            M.agency.name.as_alias("name"),
            M.agency.filing_no.as_alias("filing_no"),
            M.agency.status.as_alias("status"),
        )
        .where(M.account == account_id)
        .first()
    )
