"""Why is a search slow? Run with one engine's environment (like bench.probe):

  python -m bench.explain --out FILE 'q1' 'q2' ...        (or --in FILE with a JSON list of queries)

For each query, ``portal.search.service.search_subjects`` runs as it does in the server, with the
engine's ``run_querystring`` wrapped so that every SQL statement it sends is recorded with its
arguments, its time (best of 3 calls) and its row count. Nothing here copies the service's SQL, so
this stays true when the service changes (the search's own reads, ``portal.search.reads.fetch``,
are wrapped the same way). The statements are then explained on a raw driver
connection:
  SQLite      EXPLAIN QUERY PLAN;
  PostgreSQL  EXPLAIN (ANALYZE, BUFFERS) of the statement prepared server-side, once with the custom
              plan for these values and once with the generic plan (asyncpg prepares and caches every
              statement Piccolo sends; after five executions PostgreSQL may switch to the generic
              plan). Statements the service ran inside a transaction are replayed inside one, after
              that transaction's ``set_config``/``SET`` statements.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from pathlib import Path


async def capture(queries: list[str], repeat: int = 3) -> list[dict]:
    from portal.search.service import search_subjects
    from portal.subjects.tables import Subject

    db = Subject._meta.db
    cls = type(db)
    original = cls.run_querystring  # engines define __slots__: wrap at class level, restore after
    log: list[dict] = []

    async def recording(self, querystring, *args, **kwargs):
        sql, params = querystring.compile_string(engine_type=db.engine_type)
        tx = getattr(db, "current_transaction", None)
        entry = {"sql": sql, "params": list(params), "in_transaction": bool(tx and tx.get())}
        t0 = time.perf_counter()
        result = await original(self, querystring, *args, **kwargs)
        entry["ms"] = round((time.perf_counter() - t0) * 1000, 3)
        entry["rows"] = len(result) if isinstance(result, list) else None
        log.append(entry)
        return result

    from portal.search import service as search_service
    from portal.search.reads import _compiled

    original_fetch = search_service.fetch  # the search's own reads, past Piccolo (portal/search/reads.py)

    async def recording_fetch(sql, *args):
        entry = {"sql": _compiled(sql, db.engine_type == "postgres"), "params": list(args), "in_transaction": False}
        t0 = time.perf_counter()
        result = await original_fetch(sql, *args)
        entry["ms"] = round((time.perf_counter() - t0) * 1000, 3)
        entry["rows"] = len(result)
        log.append(entry)
        return result

    cls.run_querystring = recording
    search_service.fetch = recording_fetch
    out = []
    try:
        for q in queries:
            await search_subjects(q)  # warm
            runs = []
            for _ in range(repeat):
                log.clear()
                t0 = time.perf_counter()
                result = await search_subjects(q)
                total = (time.perf_counter() - t0) * 1000
                runs.append((total, [dict(e) for e in log], result))
            best = min(runs, key=lambda r: r[0])
            steps = best[1]
            for i, step in enumerate(steps):  # per statement: best over the runs
                same = [r[1][i]["ms"] for r in runs if len(r[1]) > i and r[1][i]["sql"] == step["sql"]]
                step["ms_best"] = min(same)
            out.append(
                {
                    "q": q,
                    "mode": best[2].mode,
                    "hits": len(best[2].items),
                    "service_ms_best": round(best[0], 3),
                    "steps": steps,
                }
            )
    finally:
        cls.run_querystring = original
        search_service.fetch = original_fetch
    return out


def _is_setting(sql: str) -> bool:
    s = sql.lstrip().lower()
    return s.startswith("set ") or "set_config(" in s


def explain_sqlite(path: Path, captured: list[dict]) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    for item in captured:
        for step in item["steps"]:
            try:
                rows = con.execute("EXPLAIN QUERY PLAN " + step["sql"], step["params"]).fetchall()
                step["plan"] = [" ".join(str(c) for c in r[1:]) for r in rows]
            except sqlite3.Error as exc:
                step["plan"] = [f"(not explained: {exc})"]
    con.close()


async def _literal(con, value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "ARRAY[" + ",".join([await _literal(con, v) for v in value]) + "]"
    return await con.fetchval("SELECT quote_literal($1::text)", str(value))


async def _plan(con, sql: str, params: list, generic: bool) -> list[str]:
    await con.execute(f"SET LOCAL plan_cache_mode = {'force_generic_plan' if generic else 'force_custom_plan'}")
    await con.execute(f"PREPARE bench_explain AS {sql}")
    try:
        args = ", ".join([await _literal(con, p) for p in params])
        call = f"EXECUTE bench_explain({args})" if params else "EXECUTE bench_explain"
        return [r[0] for r in await con.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {call}")]
    finally:
        await con.execute("DEALLOCATE bench_explain")


async def explain_postgres(url: str, captured: list[dict]) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        for item in captured:
            settings: list[tuple[str, list]] = []
            for step in item["steps"]:
                if _is_setting(step["sql"]):
                    if step["in_transaction"]:
                        settings.append((step["sql"], step["params"]))
                    continue
                for key, generic in (("plan_custom", False), ("plan_generic", True)):
                    tx = con.transaction()
                    await tx.start()
                    try:
                        await con.execute("SET LOCAL statement_timeout = '30s'")
                        if step["in_transaction"]:
                            for sql, params in settings:
                                await con.fetch(sql, *params)
                        step[key] = await _plan(con, step["sql"], step["params"], generic)
                    except Exception as exc:
                        step[key] = [f"(not explained: {exc})"]
                    finally:
                        await tx.rollback()
                if not step["in_transaction"]:
                    settings = []
    finally:
        await con.close()


async def main_async(queries: list[str]) -> list[dict]:
    from piccolo_conf import DB
    from portal.db import start_pool
    from portal.settings import get_settings

    settings = get_settings()
    if DB.engine_type == "postgres":
        await start_pool(DB, min_size=1, max_size=2)
    try:
        captured = await capture(queries)
    finally:
        if DB.engine_type == "postgres":
            await DB.close_connection_pool()
        elif hasattr(DB, "close_pool"):
            await DB.close_pool()
    if DB.engine_type == "postgres":
        await explain_postgres(settings.database_url, captured)
    else:
        explain_sqlite(settings.sqlite_path, captured)
    return captured


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.explain")
    parser.add_argument("--out", required=True)
    parser.add_argument("--in", dest="infile")
    parser.add_argument("queries", nargs="*")
    args = parser.parse_args()
    queries = list(args.queries)
    if args.infile:
        queries += json.loads(Path(args.infile).read_text())
    result = asyncio.run(main_async(queries))
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
