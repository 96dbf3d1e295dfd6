"""Argon2id password hashing (OWASP floor: m ≥ 19 MiB, t ≥ 2, p = 1).

Hashing costs ~0.1 s of CPU: callers on the event loop use the async wrappers, which run it in a
worker thread so one login never blocks every other request (STACK.md).
"""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["HASHER", "hash_password", "verify_password", "hash_password_async", "verify_password_async"]

# 46 MiB, t=2: above OWASP's first recommended profile (m=19 MiB, t=2, p=1).
HASHER = PasswordHasher(time_cost=2, memory_cost=46 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)

# A valid hash of a random password: verifying unknown users against it costs the same time as a
# real check, so response time does not reveal which user names exist.
_DUMMY_HASH = HASHER.hash("not-a-real-password-5b0f1c")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(ok, new_hash): new_hash is set when the stored hash uses weaker parameters (rehash on login)."""
    try:
        HASHER.verify(stored_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    return True, (HASHER.hash(password) if HASHER.check_needs_rehash(stored_hash) else None)


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password)


async def verify_password_async(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    return await anyio.to_thread.run_sync(verify_password, stored_hash, password)
