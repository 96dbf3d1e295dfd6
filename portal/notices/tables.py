"""Notices: the in-app inbox, the e-mail outbox, verified addresses and per-kind preferences."""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from portal.accounts.tables import Account

__all__ = ["Notice", "MailOutbox", "SmsOutbox", "NoticeEmail", "NoticePhone", "NoticePreference"]


class Notice(Table, tablename="notice"):
    """One inbox entry: every account has an inbox, with or without an e-mail address."""

    account = ForeignKey(references=Account, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=32)
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=500, default="")
    """A path inside the portal (never a raw ID number in it)."""
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class MailOutbox(Table, tablename="mail_outbox"):
    """A message waiting for (or done with) the SMTP server. Written in the same transaction as
    what it reports, sent later by the outbox job: a request never waits for SMTP, and a restart
    or an unreachable server loses nothing."""

    recipient = Varchar(length=254)
    subject = Varchar(length=200)
    body = Text()
    created_at = Timestamptz()
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    """Not before this time; also the claim of a sender busy with it."""
    last_error = Text(default="")
    sent_at = Timestamptz(null=True, default=None)


class SmsOutbox(Table, tablename="sms_outbox"):
    """A text message waiting for (or done with) the SMS backend: the mail outbox's pattern."""

    phone = Varchar(length=11)
    text = Text()
    created_at = Timestamptz()
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    last_error = Text(default="")
    sent_at = Timestamptz(null=True, default=None)


class NoticeEmail(Table, tablename="notice_email"):
    """An account's e-mail address: ``address`` once verified; ``pending_address`` while a code
    sent to it waits (only its hash is kept)."""

    account = ForeignKey(references=Account, null=False, unique=True, on_delete=OnDelete.cascade)
    address = Varchar(length=254, default="")
    verified_at = Timestamptz(null=True, default=None)
    pending_address = Varchar(length=254, default="")
    code_hash = Varchar(length=64, default="")
    code_expires_at = Timestamptz(null=True, default=None)
    code_tries = Integer(default=0)


class NoticePhone(Table, tablename="notice_phone"):
    """An account's mainland mobile number, verified by a code sent by SMS (as ``NoticeEmail``).
    Shown in full to its owner only."""

    account = ForeignKey(references=Account, null=False, unique=True, on_delete=OnDelete.cascade)
    phone = Varchar(length=11, default="")
    verified_at = Timestamptz(null=True, default=None)
    pending_phone = Varchar(length=11, default="")
    code_hash = Varchar(length=64, default="")
    code_expires_at = Timestamptz(null=True, default=None)
    code_tries = Integer(default=0)


class NoticePreference(Table, tablename="notice_preference"):
    """E-mail and SMS on or off for one kind of notice (no row: both on). The inbox always receives it."""

    account = ForeignKey(references=Account, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=32)
    email = Boolean(default=True)
    sms = Boolean(default=True)
