"""One frozen settings object, read from the environment once (DESIGN: settings.py).

Embedded defaults: a data directory beside the checkout holding the SQLite files and the
secret key, which is generated on first run and never committed.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from portal.lib.hosts import check_base_url

ROOT = Path(__file__).resolve().parent.parent
OPERATOR_NAME = "郑州市公共信用信息中心"  # the name accounts, opinions and notices already use


class SettingsError(RuntimeError):
    """A configuration the portal must not start with; the message says what to set."""


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_networks(name: str) -> tuple[str, ...]:
    """Comma-separated addresses or CIDRs; a typo fails at start-up rather than trusting nothing
    (or everything) silently."""
    out = []
    for item in os.environ.get(name, "").split(","):
        if item.strip():
            try:
                out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ValueError(f"{name}: not an address or CIDR: {item.strip()!r}") from None
    return tuple(out)


def _load_or_create_secret(data_dir: Path) -> str:
    """The signing/derivation key: from PORTAL_SECRET_KEY, else a file made on first run."""
    env = os.environ.get("PORTAL_SECRET_KEY")
    if env:
        return env
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None
    secret_key: str
    production: bool
    allowed_hosts: tuple[str, ...]
    debug: bool = False
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 60 * 60
    login_free_failures: int = 5
    """Wrong passwords for one account checked without delay; each one after that doubles the wait
    before the next attempt is checked (1 s, 2 s, 4 s …), never locking the owner out."""
    login_max_delay_seconds: int = 15 * 60
    """The longest wait between two checked attempts on one account."""
    login_forget_seconds: int = 24 * 60 * 60
    """An account's failure count starts again after this long without a failure."""
    login_address_failures: int = 30
    """Wrong passwords from one client address (any accounts) per window, then 429
    (``PORTAL_LOGIN_ADDRESS_FAILURES``)."""
    login_window_seconds: int = 15 * 60
    """The per-address window."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses/CIDRs of our own reverse proxies (``PORTAL_TRUSTED_PROXIES``); only from these is
    ``X-Forwarded-For`` believed."""
    api_rate_per_second: float = 10.0
    """Public API: sustained requests per second per client address (``PORTAL_API_RATE``)."""
    api_burst: int = 60
    """Public API: requests a client may send at once before the rate applies (``PORTAL_API_BURST``)."""
    page_size: int = 20
    max_page_size: int = 100
    pg_pool_size: int = 10
    """asyncpg pool per worker; 0 = a connection per query (tests: the test client runs the app
    on its own event loop, which a pool may not cross)."""
    upload_max_bytes: int = 10 * 1024 * 1024
    """Largest accepted upload (authorisation letters, identity documents, official letters)."""
    upload_max_pixels: int = 40_000_000
    upload_daily_bytes: int = 200 * 1024 * 1024
    """What one account may upload in 24 hours (``PORTAL_UPLOAD_DAILY_BYTES``; 0 = no limit): an
    account that has proven nothing yet can still upload, and must not fill the disk."""
    xlsx_max_bytes: int = 20 * 1024 * 1024
    """Largest workbook accepted by 批量上传 (``PORTAL_XLSX_MAX_BYTES``, R-12)."""
    xlsx_max_unzipped_bytes: int = 200 * 1024 * 1024
    """Largest total uncompressed size of an uploaded workbook (zip bombs), from its zip directory."""
    xlsx_max_rows: int = 100_000
    """Largest accepted image, in pixels (decompression bombs)."""
    export_max_rows: int = 10_000
    """Most rows one 双公示 export (CSV or XLSX) may hold (``PORTAL_EXPORT_MAX_ROWS``); more → a
    message asking to narrow the filters."""
    export_per_minute: float = 6.0
    """双公示 exports one client address may start per minute, after a burst of 3
    (``PORTAL_EXPORT_PER_MINUTE``; 0 = no limit): a 10,000-row workbook costs seconds of CPU."""
    base_url: str | None = None
    """The public address absolute links are built from (``PORTAL_BASE_URL``, e.g. the reports'
    verification links); required in production. In development, unset: rebuilt from the checked
    Host header (portal.web.middleware.public_base_url), never copied from it."""
    query_receipt_seconds: int = 15 * 60
    """How long a query's result page can be opened again (reload, Back) without a new query (R-19)."""
    query_refusals_per_window: int = 20
    query_refusal_window_seconds: int = 10 * 60
    """Refused query attempts recorded per account and window; past it, refused without an entry."""
    scheduler: bool = True
    """Run the housekeeping scheduler in the app (``PORTAL_SCHEDULER=off`` when cron runs the
    commands instead); one leader across workers and hosts."""
    scheduler_skip: tuple[str, ...] = ()
    """Housekeeping jobs not to run here (``PORTAL_SCHEDULER_SKIP=audit-purge,…``), e.g. the audit
    jobs when the audit service runs them under its own account."""
    report_valid_days: int = 365
    """Validity of an issued report, printed in its token (R-P2/R-P3: 1 year)."""
    smtp_host: str = ""
    """SMTP server for e-mail notices (``PORTAL_SMTP_HOST``); unset: e-mail off, the inbox still works."""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    """Sender address (``PORTAL_SMTP_FROM``), required with a host."""
    smtp_starttls: bool = True
    sms_backend: str = "log"
    """SMS channel (``PORTAL_SMS_BACKEND``): ``log`` writes each message to the log (development),
    ``off`` disables SMS, ``package.module:Class`` plugs in a provider (see README)."""
    operator: tuple[tuple[str, str], ...] = (("运营单位", OPERATOR_NAME),)
    """The operator's details in every page's footer, as (label, value) pairs, from
    ``PORTAL_OPERATOR_NAME``, ``_ADDRESS``, ``_PHONE``, ``_HOURS`` and ``_ICP``; unset ones are left out."""
    extra: dict = field(default_factory=dict)

    @property
    def operator_name(self) -> str:
        """The operator's name (``PORTAL_OPERATOR_NAME``): the footer, and the issuer printed on
        the centre's documents (objection decisions, 查询意见, timeliness notices)."""
        return dict(self.operator).get("运营单位", OPERATOR_NAME)

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def sms_enabled(self) -> bool:
        return self.sms_backend != "off"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "portal.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        """Uploaded documents: under the data directory, never under static/ (issue 3 §4)."""
        return self.data_dir / "uploads"

    @property
    def is_postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def session_cookie(self) -> str:
        # __Host- prefix: Secure, Path=/, no Domain — only possible over HTTPS.
        return "__Host-portal_session" if self.production else "portal_session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-csrftoken" if self.production else "csrftoken"


def _base_url(raw: str | None, production: bool) -> str | None:
    if not raw:
        if production:
            raise SettingsError(
                "PORTAL_ENV=production requires PORTAL_BASE_URL, the public address of the portal "
                "(e.g. https://credit.example.gov.cn): links printed in reports are built from it, never "
                "from a request's Host header. / 生产环境必须设置 PORTAL_BASE_URL（门户的对外地址）。"
            )
        return None
    try:
        return check_base_url(raw)
    except ValueError as exc:
        raise SettingsError(f"{exc} (got {raw!r})") from None


def _smtp() -> dict:
    host = os.environ.get("PORTAL_SMTP_HOST", "").strip()
    sender = os.environ.get("PORTAL_SMTP_FROM", "").strip()
    if host and not sender:
        raise SettingsError("PORTAL_SMTP_HOST requires PORTAL_SMTP_FROM, the sender address / 需同时设置发件地址")
    return {
        "smtp_host": host,
        "smtp_port": int(os.environ.get("PORTAL_SMTP_PORT", "587")),
        "smtp_user": os.environ.get("PORTAL_SMTP_USER", ""),
        "smtp_password": os.environ.get("PORTAL_SMTP_PASSWORD", ""),
        "smtp_from": sender,
        "smtp_starttls": _env_bool("PORTAL_SMTP_STARTTLS", True),
    }


_OPERATOR = (
    ("NAME", "运营单位", OPERATOR_NAME),
    ("ADDRESS", "地址", ""),
    ("PHONE", "咨询电话", ""),
    ("HOURS", "服务时间", ""),
    ("ICP", "备案号", ""),
)


def _operator() -> tuple[tuple[str, str], ...]:
    pairs = ((label, os.environ.get(f"PORTAL_OPERATOR_{key}", default).strip()) for key, label, default in _OPERATOR)
    return tuple((label, value[:200]) for label, value in pairs if value)


def _sms_backend() -> str:
    raw = os.environ.get("PORTAL_SMS_BACKEND", "log").strip() or "log"
    if raw not in {"log", "off"} and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", raw):
        raise SettingsError(f"PORTAL_SMS_BACKEND must be log, off or module:Class (got {raw!r})")
    return raw


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("PORTAL_DATA_DIR", ROOT / "data")).resolve()
    production = os.environ.get("PORTAL_ENV", "development") == "production"
    hosts = os.environ.get("PORTAL_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    base_url = _base_url(os.environ.get("PORTAL_BASE_URL"), production)
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or None,
        secret_key=_load_or_create_secret(data_dir),
        production=production,
        allowed_hosts=tuple(h.strip() for h in hosts.split(",") if h.strip()),
        debug=_env_bool("PORTAL_DEBUG", False),
        pg_pool_size=int(os.environ.get("PORTAL_PG_POOL_SIZE", "10")),
        upload_max_bytes=int(os.environ.get("PORTAL_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))),
        upload_daily_bytes=int(os.environ.get("PORTAL_UPLOAD_DAILY_BYTES", str(200 * 1024 * 1024))),
        xlsx_max_bytes=int(os.environ.get("PORTAL_XLSX_MAX_BYTES", str(20 * 1024 * 1024))),
        export_max_rows=int(os.environ.get("PORTAL_EXPORT_MAX_ROWS", "10000")),
        export_per_minute=float(os.environ.get("PORTAL_EXPORT_PER_MINUTE", "6")),
        base_url=base_url,
        query_receipt_seconds=int(os.environ.get("PORTAL_QUERY_RECEIPT_SECONDS", str(15 * 60))),
        trusted_proxies=_env_networks("PORTAL_TRUSTED_PROXIES"),
        login_address_failures=int(os.environ.get("PORTAL_LOGIN_ADDRESS_FAILURES", "30")),
        api_rate_per_second=float(os.environ.get("PORTAL_API_RATE", "10")),
        api_burst=int(os.environ.get("PORTAL_API_BURST", "60")),
        scheduler=_env_bool("PORTAL_SCHEDULER", True),
        **_smtp(),
        sms_backend=_sms_backend(),
        operator=_operator(),
        scheduler_skip=tuple(j.strip() for j in os.environ.get("PORTAL_SCHEDULER_SKIP", "").split(",") if j.strip()),
    )
