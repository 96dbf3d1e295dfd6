"""Server-rendered SVG bar charts of the usage figures (no script; colours as attributes: CSP)."""

from __future__ import annotations

from xml.sax.saxutils import escape

__all__ = ["grouped_bars"]

WIDTH, ROW, PAD_LEFT, PAD_TOP = 520, 22, 150, 18


def grouped_bars(rows: list[dict], series: list[tuple[str, str, str]], title: str) -> str:
    """Horizontal bars, one group per department. ``series``: (key, label, colour); ``rows``:
    [{"name": …, key: n, …}]."""
    top = max([r[k] for r in rows for k, _, _ in series] + [1])
    bar = (ROW - 4) / max(len(series), 1)
    height = PAD_TOP + ROW * max(len(rows), 1) + 8
    scale = (WIDTH - PAD_LEFT - 40) / top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" class="max-w-full">',
        f"<title>{escape(title)}</title>",
    ]
    x = PAD_LEFT
    for _key, label, colour in series:  # legend
        parts.append(
            f'<rect x="{x}" y="3" width="9" height="9" fill="{colour}"/>'
            f'<text x="{x + 12}" y="11" font-size="9" fill="#334155">{escape(label)}</text>'
        )
        x += 14 + 10 * len(label)
    for i, r in enumerate(rows):
        y = PAD_TOP + i * ROW
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + ROW / 2 + 3:.1f}" font-size="9" text-anchor="end" '
            f'fill="#334155">{escape(r["name"][:16])}</text>'
        )
        for j, (key, label, colour) in enumerate(series):
            n = r[key]
            w = n * scale
            by = y + 2 + j * bar
            parts.append(
                f'<rect x="{PAD_LEFT}" y="{by:.1f}" width="{w:.1f}" height="{bar - 1:.1f}" fill="{colour}" '
                f'data-kind="{escape(key)}" data-n="{n}"><title>{escape(r["name"])} {escape(label)} {n}</title></rect>'
                f'<text x="{PAD_LEFT + w + 3:.1f}" y="{by + bar - 2:.1f}" font-size="8" fill="#475569">{n}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
