"""``python -m bench.ingest_setup OUT.json``: an agency, an API key and an officer for the collection
benchmark, made through the code (as ``create-api-key`` and staff would), plus a sample of existing
legal persons to report about. Runs in a child process with the engine's environment (Piccolo binds
its engine at import). Prints nothing secret; the key goes to OUT.json (a private temp directory).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
from datetime import datetime, timezone

CATEGORIES = ("penalty", "person_penalty", "license", "person_license")


async def setup(sample: int, seed: int) -> dict:
    from portal.accounts.passwords import hash_password
    from portal.accounts.tables import Account
    from portal.agencies.tables import Agency
    from portal.ingest import keys
    from portal.subjects.tables import Subject

    tag = secrets.token_hex(4)
    agency = Agency(code=f"BENCH-{tag}", name=f"基准测试报送部门{tag}", created_at=datetime.now(timezone.utc))
    await agency.save()
    key, _ = await keys.create_key(agency.code, CATEGORIES, "基准测试系统", "bench")
    password = secrets.token_urlsafe(12) + "aA1!"
    officer = Account(
        username=f"bench-officer-{tag}",
        password_hash=hash_password(password),
        role="agency",
        display_name="基准测试报送员",
        agency=agency.id,
    )
    await officer.save()
    # Existing legal persons: windows at seeded offsets over the id range (cheap at 1.7M rows).
    top = (await Subject.select(Subject.id).order_by(Subject.id, ascending=False).first() or {"id": 0})["id"]
    rng = __import__("random").Random(seed)
    subjects: dict[str, str] = {}
    while len(subjects) < sample and top:
        start = rng.randrange(1, top + 1)
        rows = await (
            Subject.select(Subject.uscc, Subject.name)
            .where((Subject.id >= start) & (Subject.kind == "legal") & Subject.uscc.is_not_null())
            .order_by(Subject.id)
            .limit(50)
        )
        subjects |= {r["uscc"]: r["name"] for r in rows}
        if not rows and start == 1:
            break
    return {
        "agency_id": agency.id,
        "agency_code": agency.code,
        "key": key,
        "username": officer.username,
        "password": password,
        "existing": sorted(subjects.items())[: max(sample, 0)],
    }


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        raise SystemExit("usage: python -m bench.ingest_setup OUT.json SAMPLE SEED")

    async def run() -> dict:
        from piccolo_conf import DB

        try:
            return await setup(int(argv[1]), int(argv[2]))
        finally:
            if hasattr(DB, "close_pool"):
                await DB.close_pool()

    out = asyncio.run(run())
    with open(argv[0], "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1:])
