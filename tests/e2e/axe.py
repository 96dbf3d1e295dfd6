"""axe-core in every browser journey: fetched with ``npm pack`` at test time, run on every page load
and every htmx swap of every watched page; serious or critical violations fail the test.

How it gets into the page under the strict CSP (``script-src 'self'``, no inline scripts): as a
Playwright *init script* of each watched context (``BrowserGuard.watch_context``). Init scripts and
``page.evaluate`` are sent over the DevTools protocol, outside the page's CSP, so the site keeps its
real policy in every journey (no ``bypass_csp``, no test-only route in the app) and a CSP
violation of the site's own code still fails the test.

The in-page runner checks the document after ``load`` and after every ``htmx:afterSettle``, one run
at a time, and reports each serious/critical violation as a console error, which the guard turns
into a test failure. ``settle(page)`` waits for the pending runs: ``step()`` calls it before every
screenshot, and the ``step`` fixture's teardown settles every page still open. (Holding each
navigation in a Playwright route until the leaving page was checked deadlocks the sync API, so a
journey that leaves a page must pass through ``step()`` or ``settle()`` first.)
"""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_MEMBER = "package/axe.min.js"
CACHE = Path(__file__).resolve().parents[2] / "build" / "axe-core" / AXE_VERSION / "axe.min.js"
PREFIX = "axe violation"

# WCAG 2.x A/AA rules plus axe's best practices; only serious and critical impacts fail.
RUNNER = """
(() => {
  if (window.top !== window || window.__axeQueue || !location.protocol.startsWith('http')) return;
  let queue = Promise.resolve();
  let pending = 0;
  window.__axeIdle = () => pending === 0;
  let waiting = false;  // one swap settles each new element: one run covers them all
  window.__axeQueue = (reason) => {
    if (waiting) return;
    waiting = true;
    pending += 1;
    queue = queue.then(() => { waiting = false; return window.axe.run(document, {
      runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
      resultTypes: ['violations'],
    }); }).then((result) => {
      for (const v of result.violations) {
        if (v.impact !== 'serious' && v.impact !== 'critical') continue;
        const nodes = v.nodes.slice(0, 5).map((n) => '    ' + n.target.join(' ') + ' :: ' +
          (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240)).join('\\n');
        console.error('%PREFIX% [' + v.impact + '] ' + v.id + ' on ' + location.pathname + location.search +
          ' after ' + reason + ': ' + v.help + ' (' + v.nodes.length + ' element(s))\\n' + nodes);
      }
    }).catch((e) => console.error('%PREFIX%: axe-core failed on ' + location.href + ': ' + e))
      .finally(() => { pending -= 1; });
  };
  window.addEventListener('load', () => window.__axeQueue('load'));
  document.addEventListener('htmx:afterSettle',
    (e) => window.__axeQueue('htmx swap of #' + (e.target.id || e.target.tagName)));
})();
""".replace("%PREFIX%", PREFIX)


def axe_source() -> str:
    """axe.min.js of the pinned version, from the build cache or ``npm pack`` (not kept in git)."""
    if not CACHE.is_file():
        from portal.assets import _npm_pack

        with tempfile.TemporaryDirectory(prefix="portal-axe-") as tmp:
            tarball = _npm_pack(f"axe-core@{AXE_VERSION}", Path(tmp))
            with tarfile.open(tarball, "r:gz") as tar:
                member = tar.extractfile(AXE_MEMBER)
                assert member is not None, f"{AXE_MEMBER} missing from {tarball.name}"
                data = member.read()
        assert f"axe v{AXE_VERSION}".encode() in data[:400], f"npm pack gave another axe-core than {AXE_VERSION}"
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = CACHE.with_suffix(".tmp")
        tmp_path.write_bytes(data)
        tmp_path.replace(CACHE)
    return CACHE.read_text(encoding="utf-8")


def settle(page, timeout: float = 30_000) -> None:
    """Wait until the axe runs queued on this page are done (their reports are then in the guard)."""
    page.wait_for_function("() => !window.__axeIdle || window.__axeIdle()", timeout=timeout)
