"""Piccolo AppConfig for the portal: its tables and migrations."""

import os

from piccolo.conf.apps import AppConfig

from portal.accounts.tables import Account, LoginThrottle, Session
from portal.agencies.tables import Agency, AgencyGrant
from portal.authorizations.tables import Authorization
from portal.calendar.tables import CalendarChange, CalendarDay, CalendarYear
from portal.catalogue.tables import CatalogueChange, CatalogueEntry
from portal.content.tables import Announcement
from portal.housekeeping.tables import HousekeepingRun, SchedulerLease
from portal.ingest.tables import ApiKey, ImportJob, IngestBatch
from portal.lists.tables import ListChange, ListEntry
from portal.notices.tables import MailOutbox, Notice, NoticeEmail, NoticePhone, NoticePreference, SmsOutbox
from portal.objections.tables import CorrectionNotice, Objection, ObjectionDocument, ObjectionStep
from portal.products.checks.tables import CreditCheck, Measure
from portal.products.commitments.tables import Commitment, CommitmentText
from portal.products.credit_reports.tables import (
    CreditAgencyChange,
    CreditAgencyMember,
    CreditReport,
    CreditServiceAgency,
)
from portal.products.usage.tables import HandledMatter, ProductUse
from portal.products.verifications.tables import Verification
from portal.proofs.tables import IdentityClaim, IdentityProof
from portal.queries.tables import QueryReceipt, RefusalTally
from portal.records.tables import CreditRecord, LicenseDetail, PenaltyDetail, RecordChange
from portal.reports.tables import IssuedReport
from portal.sharing.tables import ShareableCategory, SharingChange
from portal.stats.tables import SiteStat
from portal.subjects.tables import Subject, SubjectFormerName
from portal.timeliness.tables import ReportingObligation, UrgeNotice
from portal.uploads.tables import Upload

TABLES = [
    Agency,
    Subject,
    SubjectFormerName,
    CreditRecord,
    LicenseDetail,
    PenaltyDetail,
    RecordChange,
    ListEntry,
    Account,
    Session,
    LoginThrottle,
    CalendarDay,
    CalendarYear,
    CalendarChange,
    SiteStat,
    IssuedReport,
    Upload,
    AgencyGrant,
    IdentityProof,
    IdentityClaim,
    Authorization,
    QueryReceipt,
    RefusalTally,
    ShareableCategory,
    SharingChange,
    SchedulerLease,
    HousekeepingRun,
    Notice,
    MailOutbox,
    NoticeEmail,
    NoticePreference,
    NoticePhone,
    SmsOutbox,
    Objection,
    ObjectionStep,
    ObjectionDocument,
    CorrectionNotice,
    ApiKey,
    IngestBatch,
    CatalogueEntry,
    CatalogueChange,
    ListChange,
    ImportJob,
    ReportingObligation,
    UrgeNotice,
    Announcement,
    CreditServiceAgency,
    CreditAgencyChange,
    CreditAgencyMember,
    CreditReport,
    Measure,
    CreditCheck,
    ProductUse,
    HandledMatter,
    Verification,
    CommitmentText,
    Commitment,
]

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
