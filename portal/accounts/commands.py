"""``python -m portal create-user`` (staff, agency, auditor, third-party and admin accounts) and
``set-password`` (the operator's way back into an internal account)."""

from __future__ import annotations

import asyncio
import getpass
import sys

from portal.accounts.recovery import set_password_by_operator
from portal.accounts.service import AccountError, create_account
from portal.agencies.service import by_code


async def _create(username, role, display_name, agency_code, organisation, password) -> int:
    agency_id = None
    if agency_code:
        agency = await by_code(agency_code)
        if agency is None:
            raise AccountError(f"未知的部门代码：{agency_code}")
        agency_id = agency["id"]
        organisation = organisation or agency["name"]
    return await create_account(username, password, role, display_name, agency_id, organisation)


def _read_password() -> str:
    return sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("密码：")


def create_user(username, role, display_name, agency_code=None, organisation="", password=None) -> None:
    if password is None:
        password = _read_password()
    try:
        account_id = asyncio.run(_create(username, role, display_name, agency_code, organisation, password))
    except AccountError as exc:
        print(f"创建失败：{exc}", file=sys.stderr)
        sys.exit(2)
    print(f"已创建账号 {username}（角色 {role}，编号 {account_id}）")


def set_password(username: str) -> None:
    """The new password from stdin (never an argument: it would sit in the shell history)."""
    try:
        account_id = asyncio.run(set_password_by_operator(username, _read_password()))
    except AccountError as exc:
        print(f"重置失败：{exc}", file=sys.stderr)
        sys.exit(2)
    print(f"已为账号 {username}（编号 {account_id}）设置新密码，该账号所有会话已结束")
