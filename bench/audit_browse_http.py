"""Browse the big audit log through the auditor UI over HTTP (GET /audit/log, htmx fragment).

The real portal app (``bench.audit_app:audited`` = ``portal.app.create_app``) serves the portal data
set of the self-query benchmark (for the demo ``auditor`` account) with the AUDIT_* settings of the
10M-entry store. We log in as the auditor through the form, then for each filter walk the
"更早的记录" links (``after=<key>`` taken from each fragment, as htmx would) to the deep page, and
time page 1 and the deep page alternately on one keep-alive connection.
"""

from __future__ import annotations

import html
import re
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote

from bench import dataset as ds
from bench.util import log, summarize_ms
from bench.web import Client, decoded

_NEXT = re.compile(r'hx-get="([^"]*after=[^"]*)"')
_ROW = re.compile(r"<tr [^>]*data-seq=\"(\d+)\"")
FILTER_PARAMS = {"requester_org": "org", "method": "method"}  # BrowseFilters field → URL parameter


def _fragment(client: Client, path: str) -> tuple[int, str, float, int]:
    status, headers, body, ms = client.get(path)
    return status, decoded(headers, body).decode("utf-8", errors="replace"), ms, len(body)


def part_browse_http(engine, settings, manifest: dict, args, stamp: str) -> dict:
    from bench.audit_bench import _env
    from bench.audit_http import AppServer, login

    if engine.name == "sqlite":
        data = ds.ensure_sqlite(args.data_root, args.subjects)
    else:
        data = ds.ensure_postgres(args.data_root, args.subjects, args.pg_port, args.pg_options)
    out: dict = {"page_size_of_ui": None}
    try:
        env = data.env | {k: v for k, v in _env(settings).items() if k.startswith("AUDIT_")}
        logfile = Path(tempfile.gettempdir()) / f"bench-browse-{engine.name}-{stamp}.log"
        with AppServer(env, logfile, "audited") as server:
            cookie = login(server.port, "auditor", "Demo-auditor-2026")
            client = Client(server.port, {"Cookie": cookie, "HX-Request": "true", "Accept": "text/html"})
            full = Client(server.port, {"Cookie": cookie, "Accept": "text/html"})
            status, _, _, _ = full.get("/audit/log")
            out["full_page_status"] = status
            full.close()
            for name, value in manifest["filters"].items():
                param = FILTER_PARAMS[name]
                first = f"/audit/log?{param}={quote(value)}"
                path, seen_rows = first, 0
                deep = None
                for page_no in range(1, args.deep_page + 1):
                    status, text, _, _ = _fragment(client, path)
                    rows = _ROW.findall(text)
                    if status != 200 or not rows:
                        raise SystemExit(f"bench: {path}: HTTP {status}, {len(rows)} rows")
                    if page_no == 1:
                        out["page_size_of_ui"] = len(rows)
                    seen_rows += len(rows)
                    if page_no == args.deep_page:
                        deep = path
                        break
                    m = _NEXT.search(text)
                    if not m:
                        raise SystemExit(f"bench: {name}: no next-page link on page {page_no}")
                    path = html.unescape(m.group(1))
                samples: dict[str, list[float]] = {"page_1": [], f"page_{args.deep_page}": []}
                sizes: dict[str, int] = {}
                for _ in range(5):
                    _fragment(client, first)
                    _fragment(client, deep)
                for _ in range(args.samples):
                    for label, p in (("page_1", first), (f"page_{args.deep_page}", deep)):
                        status, text, ms, wire = _fragment(client, p)
                        if status != 200 or len(_ROW.findall(text)) != out["page_size_of_ui"]:
                            raise SystemExit(f"bench: {p}: HTTP {status}")
                        samples[label].append(ms)
                        sizes[label] = wire
                stats = {k: summarize_ms(v) for k, v in samples.items()}
                deep_key = unquote(deep.split("after=", 1)[1].split("&", 1)[0])
                out[name] = {
                    "value": value,
                    "first_path": first,
                    "deep_path": deep,
                    "deep_page_key_matches_service_walk": None,
                    "deep_page_key": deep_key,
                    "rows_walked": seen_rows,
                    "wire_bytes": sizes,
                    "latency_ms": stats,
                }
                log(
                    f"browse (HTTP) {name}: page 1 p50 {stats['page_1']['p50']:.2f} / p95 "
                    f"{stats['page_1']['p95']:.2f} ms, page {args.deep_page} p50 "
                    f"{stats[f'page_{args.deep_page}']['p50']:.2f} / "
                    f"p95 {stats[f'page_{args.deep_page}']['p95']:.2f} ms"
                )
            client.close()
    finally:
        data.close()
    return out
