"""Account administration: list and (de)activate accounts. Deactivation ends live sessions."""

from __future__ import annotations

from portal.accounts.sessions import end_all_sessions
from portal.accounts.tables import Account

__all__ = ["list_accounts", "set_active"]


async def list_accounts(after_id: int = 0, limit: int = 50) -> list[dict]:
    return (
        await Account.select(
            Account.id,
            Account.username,
            Account.role,
            Account.display_name,
            Account.organisation,
            Account.is_active,
            Account.last_login_at,
        )
        .where(Account.id > after_id)
        .order_by(Account.id)
        .limit(limit)
    )


async def set_active(account_id: int, active: bool, acting_account_id: int) -> None:
    if account_id == acting_account_id and not active:
        raise ValueError("不能停用自己的账号")
    await Account.update({Account.is_active: active}).where(Account.id == account_id)
    if not active:
        await end_all_sessions(account_id)
