"""Role guards (SPEC §7)."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.accounts.sessions import Principal

__all__ = ["principal_of", "require_login", "require_roles"]


def principal_of(connection: ASGIConnection) -> Principal | None:
    return connection.scope.get("state", {}).get("principal")


async def require_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if principal_of(connection) is None:
        raise NotAuthorizedException("请先登录")


def require_roles(*roles: str):
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        if principal is None:
            raise NotAuthorizedException("请先登录")
        if principal.role not in allowed:
            raise PermissionDeniedException("您的账号无权访问此页面")

    guard.__name__ = f"require_roles_{'_'.join(sorted(allowed))}"
    return guard
