"""``python -m portal create-user``: staff, agency, auditor, third-party and admin accounts."""

from __future__ import annotations

import asyncio
import getpass
import sys

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


def create_user(username, role, display_name, agency_code=None, organisation="", password=None) -> None:
    if password is None:
        password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("密码：")
    try:
        account_id = asyncio.run(_create(username, role, display_name, agency_code, organisation, password))
    except AccountError as exc:
        print(f"创建失败：{exc}", file=sys.stderr)
        sys.exit(2)
    print(f"已创建账号 {username}（角色 {role}，编号 {account_id}）")
