"""The edge of the parsing layer (DESIGN rule 9): parameters in, a 400 out, never a 500.

``portal.lib.params`` parses (pure, raises ``InputError``); this module ties it to Litestar:

* ``IntBounds`` — every handler parameter typed ``int`` (path ``{x:int}`` or query) must
  lie in [0, 2^63-1]: Litestar turns digits into an unbounded Python int, and one past SQLite's and
  PostgreSQL's 64-bit integers made the database driver raise (a 500). The parameters are found
  from the handlers' signatures, so a new route is covered without remembering to.
* ``input_error`` — maps ``InputError`` from any service to a Chinese page or a JSON error naming
  the field and the reason.
* ``Cursor`` — the query parameter type of every keyset cursor.
"""

from __future__ import annotations

import re
import typing
from typing import Annotated
from urllib.parse import parse_qsl

from litestar import Request, Response
from litestar.exceptions import ValidationException
from litestar.params import Parameter
from litestar.types import Scope

from portal.lib.params import DB_INT_MAX, MAX_CURSOR, InputError, parse_int
from portal.web.errors import http_error
from portal.web.htmx import MAX_SHOWN

__all__ = ["Cursor", "Shown", "OptionalNumber", "IntBounds", "input_error", "validation_error"]

Cursor = Annotated[
    str | None,
    Parameter(
        query="cursor",
        max_length=MAX_CURSOR,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="翻页：上一页响应中的 next_cursor，原样传回（其他值答 400）",
    ),
]

Shown = Annotated[
    int | None,
    Parameter(
        ge=1,
        le=MAX_SHOWN,
        description="已加载的条数：返回本页时恢复全部已加载的结果（与 cursor 同传时为页面上已有的条数）",
    ),
]

# A filter's number that "全部" leaves empty (``?agency=``): Litestar refuses "" for ``int | None``,
# so it arrives as text and ``portal.lib.params.parse_int`` reads it ("" is no filter).
OptionalNumber = Annotated[str, Parameter(pattern=r"^[0-9]{0,10}$", description="编号；留空表示不限")]

# Litestar's own validation answers anything that is not an integer; only the range is ours.
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")
_NOT_PARAMETERS = frozenset({"request", "data", "state", "scope", "socket", "headers", "cookies", "query", "body"})


def validation_error(exc: InputError) -> ValidationException:
    return ValidationException(
        detail=exc.message, extra=[{"key": exc.field, "source": exc.source, "message": exc.message}]
    )


def input_error(request: Request, exc: InputError) -> Response:
    return http_error(request, validation_error(exc))


def _holds_int(annotation: object) -> bool:
    if annotation is bool:
        return False
    if annotation is int:
        return True
    return any(_holds_int(arg) for arg in typing.get_args(annotation))


def _int_parameters(handler) -> tuple[tuple[str, str], ...]:
    """(name in the path params, or key in the query string) of the handler's integer parameters."""
    found = []
    for name, field in handler.parsed_fn_signature.parameters.items():
        if name in _NOT_PARAMETERS or not _holds_int(field.annotation):
            continue
        kwarg = field.kwarg_definition
        if getattr(kwarg, "header", None) or getattr(kwarg, "cookie", None):
            continue
        found.append((name, getattr(kwarg, "query", None) or name))
    return tuple(found)


class IntBounds:
    """The check itself, run before every handler (``before_request``)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[tuple[str, str], ...]] = {}

    def check(self, scope: Scope) -> None:
        handler = scope.get("route_handler")
        if handler is None:
            return
        params = self._cache.get(id(handler))
        if params is None:
            params = self._cache[id(handler)] = _int_parameters(handler)
        if not params:
            return
        path_params = scope.get("path_params") or {}
        query = None
        for name, key in params:
            if name in path_params:
                raw, source = path_params[name], "path"
            else:
                if query is None:
                    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
                raw, source = query.get(key), "query"
                if raw is None or not _INTEGER.fullmatch(raw):
                    continue
                raw = int(raw)
            try:
                parse_int(raw, name if source == "path" else key, maximum=DB_INT_MAX)
            except InputError as exc:
                exc.source = source
                raise validation_error(exc) from None

    async def before_request(self, request) -> None:
        self.check(request.scope)
