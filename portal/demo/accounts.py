"""Demo accounts, one per role (SPEC §7), with fixed, printed passwords — 仅供演示.

Passwords are hashed with the portal's own Argon2id hasher; the plain text exists only here and in
the table printed at the end of ``demo-data``.
"""

from __future__ import annotations

import unicodedata

from portal.accounts.passwords import hash_password
from portal.accounts.tables import Role
from portal.settings import OPERATOR_NAME

__all__ = ["DEMO_ACCOUNTS", "account_rows", "render_table", "password_for"]

THIRD_PARTY_AGENCY = "河南中诚信用管理有限公司"
THIRD_PARTY_ORG = f"{THIRD_PARTY_AGENCY}（备案信用服务机构）"
CENTER = OPERATOR_NAME

# username, role, display name (None: taken from the linked subject / agency), organisation.
DEMO_ACCOUNTS = (
    ("citizen", Role.CITIZEN, None, ""),
    ("enterprise", Role.ENTERPRISE, None, ""),
    ("thirdparty", Role.THIRD_PARTY, "信用服务机构演示账号", THIRD_PARTY_ORG),
    ("agency", Role.AGENCY, None, ""),
    ("staff", Role.STAFF, "信用中心工作人员", CENTER),
    ("auditor", Role.AUDITOR, "审计员", CENTER),
    ("admin", Role.ADMIN, "系统管理员", CENTER),
)


def password_for(username: str) -> str:
    return f"Demo-{username}-2026"


def account_rows(
    citizen: tuple[int, str], enterprise: tuple[int, str], agency: tuple[int, str], skip: set[str] = frozenset()
) -> list[dict]:
    """Rows for the account table (without created_at); `skip` = usernames that already exist."""
    rows = []
    for username, role, display, organisation in DEMO_ACCOUNTS:
        if username in skip:
            continue
        subject_id = agency_id = None
        if role == Role.CITIZEN:
            subject_id, display = citizen
        elif role == Role.ENTERPRISE:
            subject_id, display = enterprise
            organisation = display
        elif role == Role.AGENCY:
            agency_id, organisation = agency
            display = f"{organisation}（部门用户）"
        rows.append(
            {
                "username": username,
                "password_hash": hash_password(password_for(username)),
                "role": role,
                "display_name": display,
                "subject": subject_id,
                "agency": agency_id,
                "organisation": organisation,
            }
        )
    return rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_table(rows: list[tuple[str, str, str, str]]) -> str:
    """Rows of (username, role, password, linked to) as an aligned text table."""
    header = ("用户名", "角色", "演示密码", "对应主体 / 单位")
    body = [header] + [(u, Role.LABELS.get(r, r), p, who) for u, r, p, who in rows]
    widths = [max(_width(row[i]) for row in body) for i in range(4)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = ["演示账号（仅供演示，切勿用于生产环境）", line]
    for i, row in enumerate(body):
        out.append("| " + " | ".join(_pad(cell, w) for cell, w in zip(row, widths)) + " |")
        if i == 0:
            out.append(line)
    out.append(line)
    return "\n".join(out)
