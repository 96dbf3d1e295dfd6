"""Sequential HTTP latency over one keep-alive connection, and the bytes a visitor downloads.

The client is the standard library's http.client (one persistent HTTP/1.1 connection, no
decompression on the timed path), so the client adds as little as possible to what is measured:
the time from sending the request to having read the whole body.
"""

from __future__ import annotations

import gzip
import http.client
import random
import re
import time
import zlib
from urllib.parse import quote

from bench.util import summarize_ms

GZIP = "gzip"


class Client:
    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = {"Host": f"127.0.0.1:{port}", "Accept-Encoding": GZIP} | (headers or {})
        self.con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.reconnects = 0

    def get(self, path: str, extra: dict[str, str] | None = None):
        """(status, headers, raw body as sent on the wire, milliseconds)."""
        headers = self.headers | (extra or {})
        for attempt in (1, 2):
            try:
                t0 = time.perf_counter_ns()
                self.con.request("GET", path, headers=headers)
                resp = self.con.getresponse()
                body = resp.read()
                ms = (time.perf_counter_ns() - t0) / 1e6
                return resp.status, resp.headers, body, ms
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect, retry once, untimed.
                self.con.close()
                self.con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.reconnects += 1
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.con.close()


def decoded(headers, body: bytes) -> bytes:
    enc = (headers.get("Content-Encoding") or "").lower()
    if enc == "gzip":
        return gzip.decompress(body)
    if enc == "deflate":
        return zlib.decompress(body)
    return body


def cookies_from(headers) -> str:
    pairs = []
    for raw in headers.get_all("Set-Cookie") or []:
        pairs.append(raw.split(";", 1)[0].strip())
    return "; ".join(pairs)


def search_path(q: str) -> str:
    return "/search?q=" + quote(q, safe="")


# ------------------------------------------------------------------------------------------------
# Latency
# ------------------------------------------------------------------------------------------------


def latency(port: int, queries: dict[str, list[dict]], rounds: int, seed: int, cookie: str) -> dict:
    """Warm-up pass over every query, then `rounds` timed passes in a seeded shuffled order.

    Requests are what htmx sends for the search box: GET /search?q=… with HX-Request: true.
    """
    extra = {"HX-Request": "true", "Accept": "*/*"} | ({"Cookie": cookie} if cookie else {})
    client = Client(port, extra)
    flat = [(cls, item) for cls, items in queries.items() for item in items]
    problems: list[str] = []
    # Warm-up (untimed): also checks every response is a 200 fragment with the expected rows,
    # and records the fragment sizes (wire = gzip as served, and decoded).
    for cls, item in flat:
        status, headers, body, _ = client.get(search_path(item["q"]))
        text = decoded(headers, body).decode("utf-8", errors="replace")
        item["http_status"] = status
        item["wire_bytes"] = len(body)
        item["decoded_bytes"] = len(text.encode())
        item["content_encoding"] = headers.get("Content-Encoding") or "identity"
        rows = text.count('href="/subjects/')
        if status != 200:
            problems.append(f"{cls} {item['q']!r}: HTTP {status}")
        elif "<html" in text.lower():
            problems.append(f"{cls} {item['q']!r}: full page instead of fragment")
        elif "hits" in item and rows != item["hits"]:
            problems.append(f"{cls} {item['q']!r}: {rows} rows over HTTP, {item['hits']} in-process")
    rng = random.Random(seed + 2)
    samples: dict[str, list[float]] = {cls: [] for cls in queries}
    errors = 0
    for _ in range(rounds):
        order = flat[:]
        rng.shuffle(order)
        for cls, item in order:
            status, _, _, ms = client.get(search_path(item["q"]))
            if status != 200:
                errors += 1
            samples[cls].append(ms)
            item.setdefault("http_ms", []).append(round(ms, 3))
    client.close()
    return {"samples": samples, "errors": errors, "problems": problems, "reconnects": client.reconnects}


def page_latency(port: int, path: str, n: int, cookie: str) -> dict:
    client = Client(port, {"Accept": "text/html"} | ({"Cookie": cookie} if cookie else {}))
    for _ in range(3):
        client.get(path)
    samples = [client.get(path)[3] for _ in range(n)]
    client.close()
    return summarize_ms(samples)


# ------------------------------------------------------------------------------------------------
# Bytes of a first visit
# ------------------------------------------------------------------------------------------------

_ASSET_PATTERNS = [
    re.compile(r"""<link\b[^>]*\brel=["']?(?:stylesheet|icon|shortcut icon|preload|modulepreload)["']?[^>]*>""", re.I),
    re.compile(r"""<script\b[^>]*\bsrc=[^>]*>""", re.I),
    re.compile(r"""<img\b[^>]*\bsrc=[^>]*>""", re.I),
]
_URL = re.compile(r"""\b(?:href|src)=["']?([^"' >]+)""", re.I)


def _header_bytes(status: int, headers) -> int:
    return len(f"HTTP/1.1 {status} X\r\n") + sum(len(k) + len(v) + 4 for k, v in headers.items()) + 2


def first_visit(port: int) -> dict:
    """GET / like a first-time browser (no cookies, Accept-Encoding: gzip), then every same-origin
    stylesheet, script, icon and image the HTML references, each once."""
    client = Client(port, {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    status, headers, body, ms = client.get("/")
    html = decoded(headers, body).decode("utf-8", errors="replace")
    cookie = cookies_from(headers)
    resources = [_resource("/", status, headers, body)]
    seen = {"/"}
    for pattern in _ASSET_PATTERNS:
        for tag in pattern.findall(html):
            m = _URL.search(tag)
            if not m:
                continue
            url = m.group(1)
            if url.startswith(("http:", "https:", "//", "data:")) or url in seen:
                continue  # external or inline: not served by us
            seen.add(url)
            st, hd, bd, _ = client.get(url, {"Accept": "*/*"} | ({"Cookie": cookie} if cookie else {}))
            resources.append(_resource(url, st, hd, bd))
    client.close()
    total_wire = sum(r["wire_bytes"] for r in resources)
    total_gzip = sum(r["gzip6_bytes"] if r["content_encoding"] == "identity" else r["wire_bytes"] for r in resources)
    return {
        "resources": resources,
        "total_wire_bytes": total_wire,
        "total_wire_bytes_with_headers": total_wire + sum(r["header_bytes"] for r in resources),
        "total_if_all_gzipped_bytes": total_gzip,
        "uncompressed_static_not_gzipped": [
            r["path"] for r in resources if r["content_encoding"] == "identity" and r["decoded_bytes"] >= 512
        ],
        "cookie": cookie,
    }


def _resource(path: str, status: int, headers, body: bytes) -> dict:
    raw = decoded(headers, body)
    return {
        "path": path,
        "status": status,
        "content_type": headers.get("Content-Type"),
        "content_encoding": (headers.get("Content-Encoding") or "identity").lower(),
        "wire_bytes": len(body),
        "decoded_bytes": len(raw),
        "gzip6_bytes": len(gzip.compress(raw, compresslevel=6, mtime=0)),
        "header_bytes": _header_bytes(status, headers),
        "cache_control": headers.get("Cache-Control"),
    }
