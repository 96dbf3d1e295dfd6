"""Small shared pieces of the non-public query pages: who is asking, and the request id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.connection import ASGIConnection

from portal.accounts.service import account_row
from portal.accounts.sessions import Principal

__all__ = ["QueryForm", "account_of", "request_id"]


@dataclass
class QueryForm:
    """The fields every query form shares: the subject (USCC, or name + ID number) and the reason."""

    subject_kind: str = "legal"
    uscc: str = ""
    name: str = ""
    id_number: str = ""
    reason_code: str = ""
    reason_text: str = ""


async def account_of(principal: Principal) -> dict:
    return await account_row(principal.account_id)


def request_id(request: ASGIConnection) -> str:
    """The client's X-Request-ID if it is a short token, else a new one (the log ties to it)."""
    given = request.headers.get("x-request-id", "")
    if 8 <= len(given) <= 64 and given.replace("-", "").isalnum():
        return given
    return uuid.uuid4().hex
