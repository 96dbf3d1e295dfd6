"""Small shared pieces of the non-public query pages: who is asking, and the request id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.connection import ASGIConnection

from portal.accounts.sessions import Principal
from portal.accounts.tables import Account
from portal.disclosure.service import Requester

__all__ = ["QueryForm", "requester_of", "account_of", "request_id"]


@dataclass
class QueryForm:
    """The fields every query form shares: the subject (USCC, or name + ID number) and the reason."""

    subject_kind: str = "legal"
    uscc: str = ""
    name: str = ""
    id_number: str = ""
    reason_code: str = ""
    reason_text: str = ""


def requester_of(principal: Principal) -> Requester:
    return Requester(
        account_id=principal.account_id,
        username=principal.username,
        role=principal.role,
        organisation=principal.organisation,
    )


async def account_of(principal: Principal) -> dict:
    return await Account.select().where(Account.id == principal.account_id).first()


def request_id(request: ASGIConnection) -> str:
    """The client's X-Request-ID if it is a short token, else a new one (the log ties to it)."""
    given = request.headers.get("x-request-id", "")
    if 8 <= len(given) <= 64 and given.replace("-", "").isalnum():
        return given
    return uuid.uuid4().hex


def audited_roles(method: str, *roles: str):
    """A role guard for query routes that records refused attempts (wrong role, not logged in)
    in the audit log before refusing (issue 3 §6, R-19). The subject is not known yet."""
    from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

    from portal.disclosure.service import refuse
    from portal.web.guards import principal_of

    allowed = frozenset(roles)

    async def guard(connection, _handler) -> None:
        principal = principal_of(connection)
        if principal is not None and principal.role in allowed:
            return
        requester = (
            requester_of(principal)
            if principal
            else Requester(account_id=0, username="", role="anonymous", organisation="")
        )
        await refuse(
            requester,
            None,
            method=method,
            code="not_logged_in" if principal is None else "wrong_role",
            reason_text=f"{connection.scope.get('method', '')} {connection.url.path}"[:200],
            request_id=request_id(connection),
        )
        if principal is None:
            raise NotAuthorizedException("请先登录")
        raise PermissionDeniedException("您的账号无权进行此项查询")

    guard.__name__ = f"audited_roles_{method}"
    return guard
