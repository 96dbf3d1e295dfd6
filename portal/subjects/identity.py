"""Keyed handling of 公民身份号码 (DESIGN rule 4, R-17).

The raw number is never stored: a keyed digest finds the subject, a masked form is displayed,
and a sealed (encrypted) form can be opened only for the subject's own view. Both keys derive
from the server secret with distinct labels, so one leaked digest table reveals nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from portal.lib import id_number as idn

__all__ = ["id_number_digest", "seal_id_number", "open_id_number", "digester", "sealer", "subject_ref"]


def _derive(secret: str, label: str) -> bytes:
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).digest()


def _secret(secret: str | None) -> str:
    if secret is not None:
        return secret
    from portal.settings import get_settings

    return get_settings().secret_key


def id_number_digest(number: str, secret: str | None = None) -> str:
    key = _derive(_secret(secret), "id-number-digest/v1")
    return hmac.new(key, idn.normalize(number).encode(), hashlib.sha256).hexdigest()


def _fernet(secret: str | None) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(_secret(secret), "id-number-seal/v1")))


def seal_id_number(number: str, secret: str | None = None) -> str:
    return _fernet(secret).encrypt(idn.normalize(number).encode()).decode()


def open_id_number(sealed: str, secret: str | None = None) -> str | None:
    try:
        return _fernet(secret).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def digester(secret: str):
    """A one-argument digest for bulk loads (demo data): the key is derived once; pass clean numbers."""
    key = _derive(secret, "id-number-digest/v1")
    new, sha256 = hmac.new, hashlib.sha256

    def digest(number: str) -> str:
        return new(key, number.encode(), sha256).hexdigest()

    return digest


def sealer(secret: str):
    """A one-argument seal for bulk loads (demo data): the Fernet key is derived once."""
    encrypt = _fernet(secret).encrypt

    def seal(number: str) -> str:
        return encrypt(number.encode()).decode()

    return seal


def subject_ref(subject: dict, secret: str | None = None) -> str:
    """The subject as the audit log knows it: keyed, stable, never a raw ID number (DESIGN rule 4).

    Natural persons: their ID-number digest (already keyed). Legal persons: a keyed digest of the
    USCC, so a stolen log alone cannot even be joined to public data.
    """
    if subject.get("kind") == "natural" and subject.get("id_number_digest"):
        return "n:" + subject["id_number_digest"]
    key = _derive(_secret(secret), "audit-subject-ref/v1")
    basis = subject.get("uscc") or f"id:{subject['id']}"
    return "l:" + hmac.new(key, basis.encode(), hashlib.sha256).hexdigest()
