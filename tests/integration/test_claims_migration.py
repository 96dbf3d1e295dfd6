"""The identity-claim migration on data made the old way (DESIGN rule 8): accounts linked at
registration without a proof become claims and lose the link and the organisation; proven accounts
keep theirs; requests filed by unproven accounts name them as unverified.

The migration's frozen SQL runs inside a transaction that is rolled back, so the rest of the suite
never sees it.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from portal.accounts.tables import Account
from portal.authorizations.tables import Authorization
from portal.piccolo_migrations import portal_2026_12_04t11_00_00_000000 as migration
from portal.proofs.tables import IdentityClaim, IdentityProof
from portal.subjects.identity import id_number_digest
from tests import factories as f

pytestmark = pytest.mark.anyio


class _RollBack(Exception):
    pass


async def _filed_by(account_id: int, org: str, subject_id: int) -> int:
    rows = await Authorization.insert(
        Authorization(
            requester=account_id,
            requester_org=org,
            subject=subject_id,
            reason_code="credit_report",
            scope_classes="A,B",
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 12, 31),
            created_at=datetime.now(timezone.utc),
        )
    )
    return rows[0]["id"]


async def _state(account_id: int) -> tuple[dict, dict | None]:
    account = await Account.select().where(Account.id == account_id).first()
    claim = await IdentityClaim.select().where(IdentityClaim.account == account_id).first()
    return account, claim


async def test_unproven_links_become_claims_and_proven_accounts_keep_theirs(db):
    held, other_person = await f.natural_subject("李真名"), await f.natural_subject("钱本人")
    company, other_company = await f.legal_subject(), await f.legal_subject()
    try:
        async with db.transaction():
            await IdentityClaim.delete(force=True)  # as before the migration: no claims yet
            intruder = await f.account("citizen", subject_id=held["id"])  # linked the old way, unproven
            citizen = await f.proven("citizen", subject_id=other_person["id"])
            impostor = await f.account("enterprise", subject_id=company["id"])
            await Account.update({Account.organisation: company["name"]}).where(Account.id == impostor["id"])
            enterprise = await f.proven("enterprise", subject_id=other_company["id"])
            third = await f.account("third_party")
            await Account.update({Account.organisation: "自称某信用机构"}).where(Account.id == third["id"])
            by_impostor = await _filed_by(impostor["id"], company["name"], other_company["id"])
            by_enterprise = await _filed_by(enterprise["id"], other_company["name"], company["id"])
            by_third = await _filed_by(third["id"], "自称某信用机构", company["id"])

            for sql in migration.DATA:
                await Account.raw(sql)

            account, claim = await _state(intruder["id"])
            assert account["subject"] is None
            assert claim["kind"] == "natural" and claim["claimed_name"] == "测试citizen"
            assert claim["id_number_digest"] == id_number_digest(held["id_number"]) and claim["id_number_sealed"]
            account, _ = await _state(citizen["id"])
            assert account["subject"] == other_person["id"]

            account, claim = await _state(impostor["id"])
            assert account["subject"] is None and account["organisation"] == ""
            assert claim["kind"] == "legal" and claim["uscc"] == company["uscc"]
            account, _ = await _state(enterprise["id"])
            assert account["subject"] == other_company["id"] and account["organisation"] == other_company["name"]

            account, claim = await _state(third["id"])
            assert account["organisation"] == "" and claim["claimed_name"] == "自称某信用机构"

            orgs = {
                r["id"]: r["requester_org"]
                for r in await Authorization.select(Authorization.id, Authorization.requester_org).where(
                    Authorization.id.is_in([by_impostor, by_enterprise, by_third])
                )
            }
            assert orgs == {
                by_impostor: "测试enterprise（未核验）",
                by_enterprise: other_company["name"],
                by_third: "测试third_party（未核验）",
            }
            assert await IdentityProof.exists().where(IdentityProof.account == citizen["id"])
            raise _RollBack
    except _RollBack:
        pass
    assert not await Account.exists().where(Account.id == intruder["id"])  # rolled back
