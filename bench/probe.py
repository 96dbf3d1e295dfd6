"""Child process run with one engine's environment (DATABASE_URL / PORTAL_DATA_DIR).

  python -m bench.probe --out FILE [--per-class 200] [--seed 1] [--rounds 3] [--sample 20000]

1. reads the scale (subject and record counts) and engine facts from the database;
2. draws the query sets (bench.queries) from a seeded sample of legal-person names and USCCs,
   verifying the "matches nothing" queries with the search service itself;
3. times ``portal.search.service.search_subjects`` called directly (no HTTP): one untimed
   warm-up pass over every query, then ``rounds`` timed passes in a seeded shuffled order.
Writes one JSON document to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from pathlib import Path


async def _rows(sql: str, *args):
    from portal.subjects.tables import Subject

    return await Subject.raw(sql, *args)


async def _scalar(sql: str, *args):
    rows = await _rows(sql, *args)
    return next(iter(rows[0].values())) if rows else None


async def scale_and_engine(db) -> tuple[dict, dict]:
    kinds = {r["kind"]: r["n"] for r in await _rows("SELECT kind, count(*) AS n FROM subject GROUP BY kind")}
    types = {
        r["record_type"]: r["n"]
        for r in await _rows("SELECT record_type, count(*) AS n FROM credit_record GROUP BY record_type")
    }
    lists = {
        r["list_type"]: r["n"]
        for r in await _rows("SELECT list_type, count(*) AS n FROM list_entry GROUP BY list_type")
    }
    scale = {
        "subjects": sum(kinds.values()),
        "subjects_by_kind": kinds,
        "credit_records": sum(types.values()),
        "credit_records_by_type": types,
        "list_entries": sum(lists.values()),
        "list_entries_by_type": lists,
    }
    if db.engine_type == "postgres":
        engine = {"engine": "postgres", "server_version": await _scalar("SHOW server_version")}
        for name in (
            "shared_buffers",
            "effective_cache_size",
            "work_mem",
            "random_page_cost",
            "jit",
            "max_parallel_workers_per_gather",
            "lc_ctype",
        ):
            engine[name] = await _scalar(f"SHOW {name}")
        engine["database_size_mb"] = round(await _scalar("SELECT pg_database_size(current_database())") / 2**20, 1)
        engine["show_trgm_sample"] = str(await _scalar("SELECT show_trgm('郑州宇通客车')"))
        engine["subject_bigram_rows"] = await _scalar("SELECT count(*) FROM subject_bigram")
    else:
        engine = {"engine": "sqlite", "sqlite_version": await _scalar("SELECT sqlite_version()")}
        page_size = await _scalar("PRAGMA page_size")
        page_count = await _scalar("PRAGMA page_count")
        engine["database_size_mb"] = round(page_size * page_count / 2**20, 1)
        engine["journal_mode"] = await _scalar("PRAGMA journal_mode")
    return scale, engine


async def sample_legal(seed: int, size: int) -> list[dict]:
    """~`size` legal persons: `size/20` windows of 20 consecutive ids at seeded random offsets."""
    bounds = (await _rows("SELECT min(id) AS lo, max(id) AS hi FROM subject"))[0]
    rng = random.Random(seed)
    seen: dict[int, dict] = {}
    for _ in range(max(1, size // 20)):
        start = rng.randint(bounds["lo"], bounds["hi"])
        for r in await _rows(
            "SELECT id, name, uscc FROM subject WHERE kind = 'legal' AND id >= {} ORDER BY id LIMIT 20", start
        ):
            seen[r["id"]] = r
    return [seen[k] for k in sorted(seen)]


async def _hits(query: str) -> tuple[int, bool, str]:
    from portal.search.service import search_subjects

    result = await search_subjects(query)
    return len(result.items), result.next_cursor is not None, result.mode


async def _add_none(items: list[dict], missing: int, make, sub: str) -> None:
    have = {i["q"] for i in items}
    for _ in range(missing * 50):
        if missing <= 0:
            return
        q = make()
        if q in have:
            continue
        n, _, _ = await _hits(q)
        if n == 0:
            items.append({"q": q, "sub": sub})
            have.add(q)
            missing -= 1


async def pick_queries(seed: int, per_class: int, sample_size: int) -> tuple[dict, dict]:
    from bench.queries import Picker

    sample = await sample_legal(seed, sample_size)
    picker = Picker([r["name"] for r in sample], [r["uscc"] for r in sample], seed)
    two, m2 = picker.two_char(per_class)
    await _add_none(two, m2, picker.none_bigram, "none")
    long, ml = picker.long(per_class)
    await _add_none(long, ml, picker.none_long, "none")
    uscc, mu = picker.uscc(per_class)
    await _add_none(uscc, mu, picker.none_uscc, "none")
    info = {"sample_names": len(sample), "seed": seed, "per_class": per_class}
    return {"2char": two, "3plus": long, "uscc": uscc}, info


async def measure(queries: dict, rounds: int, seed: int) -> dict:
    from portal.search.service import search_subjects

    flat = [(cls, item) for cls, items in queries.items() for item in items]
    # Warm-up: every query once (caches, statement preparation, Jinja not involved here).
    for _, item in flat:
        n, more, mode = await _hits(item["q"])
        item["hits"], item["more"], item["mode"] = n, more, mode
    rng = random.Random(seed + 1)
    samples: dict[str, list[float]] = {cls: [] for cls in queries}
    per_query: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        order = flat[:]
        rng.shuffle(order)
        for cls, item in order:
            t0 = time.perf_counter_ns()
            await search_subjects(item["q"])
            ms = (time.perf_counter_ns() - t0) / 1e6
            samples[cls].append(ms)
            per_query.setdefault((cls, item["q"]), []).append(ms)
    for cls, item in flat:
        item["service_ms"] = [round(x, 3) for x in per_query.get((cls, item["q"]), [])]
    return samples


async def main_async(args) -> dict:
    from piccolo_conf import DB
    from portal.db import start_pool

    if DB.engine_type == "postgres":
        await start_pool(DB, min_size=1, max_size=int(os.environ.get("PORTAL_PG_POOL_SIZE", "10")))
    try:
        t0 = time.monotonic()
        scale, engine = await scale_and_engine(DB)
        t1 = time.monotonic()
        queries, info = await pick_queries(args.seed, args.per_class, args.sample)
        t2 = time.monotonic()
        samples = await measure(queries, args.rounds, args.seed)
        t3 = time.monotonic()
    finally:
        if DB.engine_type == "postgres":
            await DB.close_connection_pool()
        elif hasattr(DB, "close_pool"):
            await DB.close_pool()
    return {
        "scale": scale,
        "engine": engine,
        "queries": queries,
        "query_info": info,
        "service_samples_ms": samples,
        "rounds": args.rounds,
        "timings_s": {"scale": round(t1 - t0, 2), "pick": round(t2 - t1, 2), "measure": round(t3 - t2, 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20000)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
