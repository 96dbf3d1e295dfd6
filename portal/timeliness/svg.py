"""Server-rendered bar charts (SVG, no script): the scorecard's months at a glance (R-13).

Pure: takes numbers, returns markup with every text escaped. Inline ``style`` attributes are not
used (CSP): colours are presentation attributes.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

__all__ = ["stacked_bars"]

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 360, 160, 28, 22, 10
COLOURS = {"on_time": "#15803d", "late": "#b91c1c", "unknown": "#94a3b8"}
LABELS = {"on_time": "按时", "late": "迟报", "unknown": "日历未知"}


def stacked_bars(months: list[dict], title: str) -> str:
    """One bar per month, stacked on time / late / unknown. ``months``: [{month, on_time, late, unknown}]."""
    top = max([m["on_time"] + m["late"] + m["unknown"] for m in months] + [1])
    inner_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = (WIDTH - PAD_LEFT) / max(len(months), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" class="max-w-full">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - PAD_BOTTOM}" stroke="#cbd5e1"/>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" font-size="9" text-anchor="end" fill="#64748b">{top}</text>',
    ]
    for i, m in enumerate(months):
        x = PAD_LEFT + i * slot + slot * 0.2
        y = HEIGHT - PAD_BOTTOM
        for key in ("on_time", "late", "unknown"):
            n = m[key]
            if not n:
                continue
            h = inner_h * n / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" fill="{COLOURS[key]}" '
                f'data-kind="{key}" data-month="{escape(m["month"])}" data-n="{n}">'
                f"<title>{escape(m['month'])} {LABELS[key]} {n}</title></rect>"
            )
        parts.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{HEIGHT - 8}" font-size="9" text-anchor="middle" '
            f'fill="#334155">{escape(m["month"][2:])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
