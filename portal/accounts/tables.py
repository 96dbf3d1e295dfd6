"""Accounts, server-side sessions and login throttling — all in the database so that every
worker process and host shares them (issue 2 §8)."""

from piccolo.columns import Boolean, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from portal.agencies.tables import Agency
from portal.subjects.tables import Subject

__all__ = ["Account", "Role", "Session", "LoginThrottle"]


class Role:
    """SPEC §7. Public visitors have no account."""

    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"
    THIRD_PARTY = "third_party"  # 信用服务机构 querying others with authorisation
    AGENCY = "agency"
    STAFF = "staff"
    AUDITOR = "auditor"
    ADMIN = "admin"

    LABELS = {
        CITIZEN: "个人用户",
        ENTERPRISE: "企业用户",
        THIRD_PARTY: "信用服务机构",
        AGENCY: "部门用户",
        STAFF: "信用中心工作人员",
        AUDITOR: "审计员",
        ADMIN: "系统管理员",
    }
    SELF_REGISTERED = (CITIZEN, ENTERPRISE)
    CREATED_BY_CLI = (THIRD_PARTY, AGENCY, STAFF, AUDITOR, ADMIN)


class Account(Table, tablename="account"):
    username = Varchar(length=64, unique=True)
    """Login name (lower-case)."""
    password_hash = Varchar(length=200)
    """Argon2id PHC string."""
    role = Varchar(length=16)
    display_name = Varchar(length=100)
    subject = ForeignKey(references=Subject, null=True, default=None)
    """The subject this citizen/enterprise account speaks for (set at registration)."""
    agency = ForeignKey(references=Agency, null=True, default=None)
    """The agency of an agency officer."""
    organisation = Varchar(length=200, default="")
    """Organisation shown for third parties and staff."""
    is_active = Boolean(default=True)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)


class Session(Table, tablename="session"):
    """A login session. Only the SHA-256 of the cookie token is stored: a database leak does
    not hand out live sessions."""

    token_digest = Varchar(length=64, primary_key=True)
    account = ForeignKey(references=Account, index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()


class LoginThrottle(Table, tablename="login_throttle"):
    """One counter per throttled key (an account, a trusted device, a client address). Changed
    only by conditional UPDATEs (compare-and-set on ``version``), so concurrent workers never both
    take the last slot.
    Times are epoch seconds: the same arithmetic on SQLite and PostgreSQL."""

    key = Varchar(length=100, primary_key=True)
    """``acct:<username>``, ``dev:<device id>`` or ``addr:<client address>``."""
    failures = Integer(default=0)
    """Attempts counted against the key (an attempt counts from the moment it is admitted)."""
    first_at = DoublePrecision(default=0.0)
    """Start of the current window (address keys)."""
    last_at = DoublePrecision(default=0.0)
    """When the last attempt was admitted."""
    next_allowed_at = DoublePrecision(default=0.0)
    """No attempt is checked before this time."""
    version = Integer(default=0)
