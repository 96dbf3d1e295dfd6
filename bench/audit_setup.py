"""``python -m bench.audit_setup verify-citizen USERNAME``: mark a demo account's identity as verified.

Runs in a child process with the engine's environment (Piccolo binds its engine at import). The
proof is recorded as a counter check, as staff would record it; nothing else changes.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timezone


async def verify_citizen(username: str) -> None:
    from portal.accounts.tables import Account
    from portal.proofs.tables import IdentityProof, ProofMethod, ProofStatus

    account = await Account.select(Account.id, Account.subject).where(Account.username == username).first()
    if account is None or not account["subject"]:
        raise SystemExit(f"bench: no account {username!r} linked to a subject (demo data missing?)")
    verified = await IdentityProof.exists().where(
        (IdentityProof.account == account["id"])
        & (IdentityProof.subject == account["subject"])
        & (IdentityProof.status == ProofStatus.VERIFIED)
    )
    if not verified:
        now = datetime.now(timezone.utc)
        await IdentityProof.insert(
            IdentityProof(
                account=account["id"],
                subject=account["subject"],
                method=ProofMethod.COUNTER,
                status=ProofStatus.VERIFIED,
                submitted_at=now,
                reviewed_at=now,
                note="bench",
            )
        )
    print(account["subject"])


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] != "verify-citizen":
        raise SystemExit("usage: python -m bench.audit_setup verify-citizen USERNAME")

    async def run() -> None:
        from piccolo_conf import DB

        try:
            await verify_citizen(argv[1])
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    asyncio.run(run())


if __name__ == "__main__":
    main(sys.argv[1:])
