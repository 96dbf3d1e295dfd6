"""征集 (R-11 … R-13): the API keys of agencies' systems and the log of every report batch."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.agencies.tables import Agency

__all__ = ["ApiKey", "IngestBatch", "Channel", "ImportJob", "ImportStatus"]


class Channel:
    """R-12: the three reporting paths."""

    API = "api"  # 系统对接
    XLSX = "xlsx"  # 批量上传
    ENTRY = "entry"  # 逐条录入
    LABELS = {API: "系统对接", XLSX: "批量上传", ENTRY: "逐条录入"}


class ApiKey(Table, tablename="api_key"):
    """A key an agency's system pushes with. Shown once; only its SHA-256 is kept (a 256-bit random
    secret needs no slow hash, and each push must check it quickly)."""

    agency = ForeignKey(references=Agency, index=True, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    """Which system holds it, e.g. 行政处罚办案系统."""
    prefix = Varchar(length=16, unique=True)
    """The key's public first characters, shown in lists and logs to tell keys apart."""
    secret_sha256 = Varchar(length=64, unique=True)
    categories = Text(default="")
    """Comma-separated category codes this key may report; never empty."""
    created_by = Varchar(length=64)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=200, default="")
    last_used_at = Timestamptz(null=True, default=None)
    replaces = Integer(null=True, default=None)
    """The key this one rotated (its id)."""


class IngestBatch(Table, tablename="ingest_batch"):
    """One report (a push, an uploaded workbook, one entry): counts per outcome, for the provider's
    own view and the centre's scorecard (R-13). Never the data itself."""

    agency = ForeignKey(references=Agency, index=True, null=False, on_delete=OnDelete.restrict)
    channel = Varchar(length=8)
    api_key = ForeignKey(references=ApiKey, null=True, default=None, on_delete=OnDelete.restrict)
    account = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    received_at = Timestamptz()
    items = Integer(default=0)
    created = Integer(default=0)
    corrected = Integer(default=0)
    revoked = Integer(default=0)
    unchanged = Integer(default=0)
    rejected = Integer(default=0)


class ImportStatus:
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    LABELS = {QUEUED: "排队中", RUNNING: "导入中", DONE: "已完成", FAILED: "失败"}


class ImportJob(Table, tablename="ingest_import"):
    """An uploaded workbook imported server-side (R-12 批量上传): it survives the browser closing and
    a worker dying (the housekeeping job picks it up again). The file lives in the private imports
    directory under the data dir until the job ends."""

    agency = ForeignKey(references=Agency, index=True, null=False, on_delete=OnDelete.restrict)
    account = ForeignKey(references=Account, null=False, on_delete=OnDelete.restrict)
    status = Varchar(length=8, default=ImportStatus.QUEUED)
    record_type = Varchar(length=8, default="")
    original_name = Varchar(length=200, default="")
    stored_name = Varchar(length=64, default="")
    size = Integer(default=0)
    rows_total = Integer(default=0)
    rows_done = Integer(default=0)
    created = Integer(default=0)
    corrected = Integer(default=0)
    revoked = Integer(default=0)
    unchanged = Integer(default=0)
    rejected = Integer(default=0)
    rejected_name = Varchar(length=64, default="")
    """The rejected rows' workbook in the imports directory, '' when none."""
    error = Varchar(length=500, default="")
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    heartbeat_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
