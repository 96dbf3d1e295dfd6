"""Device cookies (OWASP "slow down online guessing with device cookies"): a browser that logged in
to an account before is throttled on its own counter, so strangers guessing that account's password
cannot make its owner wait on a known device."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.settings import get_settings

__all__ = ["MAX_AGE", "cookie_name", "issue", "device_for"]

MAX_AGE = 180 * 24 * 60 * 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="login-device")


def cookie_name() -> str:
    return "__Host-portal_device" if get_settings().production else "portal_device"


def issue(username: str) -> str:
    return _serializer().dumps({"u": username, "d": secrets.token_urlsafe(16)})


def device_for(token: str | None, username: str) -> str | None:
    """The device id when ``token`` is a valid device cookie of ``username``; None otherwise."""
    if not token or len(token) > 300:
        return None
    try:
        claim = _serializer().loads(token, max_age=MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(claim, dict) or claim.get("u") != username or not isinstance(claim.get("d"), str):
        return None
    return claim["d"]
