"""Ed25519 signing key of the audit service (SPEC §5; issue 3 item 8).

Only the audit service (``python -m audit checkpoint|purge|serve``) reads the private key; the
portal's recorder never does, so a compromised portal cannot forge checkpoints. Auditors verify
with the public keys exported beside the checkpoints (``<export dir>/keys/<key_id>.pem``).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.chain import sha256_hex
from audit.settings import AuditSettings

PRIVATE_NAME = "audit-ed25519.pem"
PUBLIC_NAME = "audit-ed25519.pub.pem"


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256_hex(raw)[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    key_id: str

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private.sign(data)).decode()


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write via a temporary file, fsync, rename, fsync the directory: never a torn file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _create(settings: AuditSettings) -> None:
    settings.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = settings.key_dir / PRIVATE_NAME
    try:  # O_EXCL: two processes starting together agree on one key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    write_atomic(settings.key_dir / PUBLIC_NAME, public_pem(private.public_key()))


def load_signing_key(settings: AuditSettings, create: bool = True) -> SigningKey:
    """The private key, generated (mode 0600) on first use; its public key is exported."""
    path = settings.key_dir / PRIVATE_NAME
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"no audit signing key at {path}; run `python -m audit keygen`")
        _create(settings)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    signing = SigningKey(private=private, key_id=key_id(private.public_key()))
    export_public_key(settings, private.public_key())
    return signing


def rotate_key(settings: AuditSettings) -> SigningKey:
    """Retire the current key (kept under ``retired/`` for reference) and make a new one."""
    path = settings.key_dir / PRIVATE_NAME
    if path.exists():
        old = load_signing_key(settings, create=False)
        retired = settings.key_dir / "retired"
        retired.mkdir(mode=0o700, exist_ok=True)
        os.replace(path, retired / f"{old.key_id}.pem")
    return load_signing_key(settings, create=True)


def export_public_key(settings: AuditSettings, public: Ed25519PublicKey) -> Path:
    target = settings.export_dir / "keys" / f"{key_id(public)}.pem"
    data = public_pem(public)
    if not target.exists() or target.read_bytes() != data:
        write_atomic(target, data)
    return target


def load_public_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    """Trusted public keys by key id, from PEM files or directories of them."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        files = sorted(path.glob("*.pem")) if path.is_dir() else [path]
        for file in files:
            try:
                public = serialization.load_pem_public_key(file.read_bytes())
            except ValueError:
                continue
            if isinstance(public, Ed25519PublicKey):
                keys[key_id(public)] = public
    return keys


def verify_signature(keys: dict[str, Ed25519PublicKey], kid: str, data: bytes, signature: str) -> bool:
    public = keys.get(kid)
    if public is None:
        return False
    try:
        public.verify(base64.b64decode(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True
