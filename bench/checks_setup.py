"""``python -m bench.checks_setup OUT.json SAMPLE SEED``: an agency with an API key (through
``portal.ingest.keys``, as staff make one), two measures in the catalogue, and a sample of existing
legal persons to check. Runs with the engine's environment; the key goes to OUT.json (private temp)."""

from __future__ import annotations

import asyncio
import json
import sys


async def setup(sample: int, seed: int) -> dict:
    from bench.ingest_setup import setup as agency_setup
    from portal.products.checks import measures

    out = await agency_setup(sample, seed)
    await measures.add(
        "black",
        "supervision_approval",
        "列为重点监管对象，提高抽查比例和频次",
        "郏信用办〔2021〕2号 五（十一）",
        "bench",
    )
    await measures.add(
        "red", "all", "在行政审批中给予“绿色通道”和“容缺受理”便利", "郏信用办〔2021〕2号 五（十一）", "bench"
    )
    return out


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        raise SystemExit("usage: python -m bench.checks_setup OUT.json SAMPLE SEED")

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
