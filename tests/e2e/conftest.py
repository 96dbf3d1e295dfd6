"""Browser journeys: Playwright driving Debian's Chromium against a real, multi-worker server.

Session set-up (once per run, on whichever engine tests/conftest.py chose):
1. seed the database with the factories (in a thread with its own event loop, see ``_run_async``);
2. start ``python -m portal serve --workers 2`` on a free port with the same environment
   (PORTAL_DATA_DIR / DATABASE_URL), wait for /healthz, stop the whole process group at the end.

Every page opened through these fixtures is watched by ``BrowserGuard``: a Content-Security-Policy
violation, a JavaScript error, an htmx error or a failed static asset fails the test. ``step()``
checks the guard and that htmx really loaded, then keeps a full-page screenshot under
``$PORTAL_ARTIFACTS_DIR/screenshots/<test>-<nn>-<step>.png``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from tests.e2e import axe

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PORTAL_ARTIFACTS_DIR", "test-artifacts"))
if not ARTIFACTS.is_absolute():
    ARTIFACTS = ROOT / ARTIFACTS
SCREENSHOTS = ARTIFACTS / "screenshots"

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SEARCH_TOKEN = "璟琛"  # two characters shared by every seeded legal person (no other test uses it)
SEEDED_SIMILAR = 30  # legal persons besides the target whose names contain SEARCH_TOKEN
HISTORY_TOKEN = "骐骥"  # shared by HISTORY_SUBJECTS legal persons: 加载更多 twice (test_accessibility)
HISTORY_SUBJECTS = 45
SERVER_START_TIMEOUT = 60.0


# --------------------------------------------------------------------------- browser launch


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk (make test does it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


# pytest-playwright keeps Playwright and the browser for the whole session. Sync Playwright runs its
# event loop in a greenlet, so while it lives asyncio believes a loop is running in this thread and
# every later anyio/asyncio test fails ("Cannot run the event loop while another loop is running").
# Module scope stops Playwright after each e2e module, before the rest of the suite runs.


@pytest.fixture(scope="module")
def playwright(_pw_api_request_contexts):
    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="module")
def browser(launch_browser):
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def browser_context_args(base_url):
    # No viewport here: tests pass their own (pytest.mark.browser_context_args or open_context(...)).
    return {"base_url": base_url, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


# --------------------------------------------------------------------------- seed data


def _run_async(coroutine_function):
    """Run a coroutine in a thread with a fresh event loop and return its result.

    A separate thread leaves the main thread's event loop state alone (the anyio session
    runner and sync Playwright both live there)."""
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coroutine_function())
        except BaseException as exc:  # re-raised in the caller
            result["error"] = exc

    thread = threading.Thread(target=target, name="e2e-seed")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


async def _seed() -> dict:
    from piccolo_conf import DB
    from portal.lib.dates import today_cn
    from tests import factories as f

    postgres = DB.engine_type == "postgres"
    saved_pool = getattr(DB, "pool", None) if postgres else None
    if postgres:
        # A pool started by another suite belongs to another event loop: never touch it.
        DB.pool = None
        await DB.start_connection_pool(min_size=1, max_size=2)
    try:
        today = today_cn()
        market = await f.agency("郑州市市场监督管理局（E2E）")
        tax = await f.agency("国家税务总局郑州市税务局（E2E）")
        await f.agency("郑州市生态环境局（E2E）")
        similar = [await f.legal_subject(f"郑州{SEARCH_TOKEN}{i:02d}号商贸有限公司") for i in range(SEEDED_SIMILAR)]
        target = await f.legal_subject(f"河南{SEARCH_TOKEN}示范科技有限公司")
        history = [await f.legal_subject(f"郑州{HISTORY_TOKEN}{i:02d}号物流有限公司") for i in range(HISTORY_SUBJECTS)]
        for i, subject in enumerate(history):  # a 双公示 list long enough for 加载更多 twice
            await f.record(
                subject["id"],
                market["id"],
                record_type="license",
                category="license",
                polarity="neutral",
                title=f"道路运输经营许可（E2E历史{i:02d}）",
                decision_date=today - timedelta(days=60 + i),
                detail={"license_content": "道路普通货物运输"},
            )
        tid = target["id"]
        titles = {
            "license": "食品经营许可证核发（E2E）",
            "penalty": "未按规定公示年度报告被罚款（E2E）",
            "positive": "郑州市守合同重信用企业（E2E）",
            "negative": "欠缴增值税信息（E2E）",
            "hidden": "部门共享类信息不应公示（E2E）",
        }
        await f.record(
            tid,
            market["id"],
            record_type="license",
            category="license",
            polarity="neutral",
            title=titles["license"],
            decision_date=today - timedelta(days=3),
            detail={"license_content": "预包装食品销售"},
        )
        await f.record(
            tid,
            market["id"],
            record_type="penalty",
            category="penalty",
            polarity="negative",
            title=titles["penalty"],
            decision_date=today - timedelta(days=2),
            publicity_end=today + timedelta(days=365),
            detail={"violation_facts": "逾期未公示2025年度报告", "fine_amount": Decimal("0.5")},
        )
        await f.record(
            tid,
            market["id"],
            category="honour",
            polarity="positive",
            title=titles["positive"],
            content="连续三年获评守合同重信用企业",
            decision_date=today - timedelta(days=40),
        )
        await f.record(
            tid,
            tax["id"],
            category="tax_violation",
            polarity="negative",
            title=titles["negative"],
            content="欠缴增值税12万元",
            decision_date=today - timedelta(days=60),
            act_end_date=today - timedelta(days=30),
        )
        await f.record(
            tid,
            tax["id"],
            disclosure_class="B",
            category="tax_violation",
            polarity="negative",
            title=titles["hidden"],
            decision_date=today - timedelta(days=20),
        )
        await f.list_entry(
            tid,
            tax["id"],
            "red",
            list_name="A级纳税人（E2E）",
            reason="年度纳税信用评价为A级",
            listed_on=today - timedelta(days=100),
        )
        await f.list_entry(
            tid,
            market["id"],
            "black",
            list_name="失信被执行人（E2E）",
            reason="未履行生效法律文书确定的义务",
            listed_on=today - timedelta(days=10),
        )
        person = await f.natural_subject(name="王测试")
        citizen = await f.account("citizen", subject_id=person["id"])
        # Proven: only then does /account name the company it speaks for (DESIGN rule 8).
        enterprise = await f.proven("enterprise", subject_id=tid)
        queries = await _seed_queries(f, market, tax, today)
        audit_log = await _seed_audit_log(f, target)
        objections = await _seed_objections(f, today)
        commitment = {  # tests/e2e/test_commitment_journey.py (R-P1)
            "company": (signer := await f.legal_subject("河南E2E承诺示例食品有限公司")),
            "owner": await f.proven("enterprise", subject_id=signer["id"]),
            "agency": await f.agency("郑州市市场监督管理局（E2E承诺）"),
        }
        reporting = {
            "agency": (agency := await f.agency("郑州市市场监督管理局（E2E报送）")),
            "officer": await f.account("agency", agency_id=agency["id"]),
            "staff": await f.account("staff"),
            "usccs": [f.new_uscc() for _ in range(4)],  # subjects registered from the upload itself
            "listed": await f.legal_subject("河南E2E名单示例广告有限公司"),
        }
        return {
            "token": SEARCH_TOKEN,
            "similar": similar,
            "history": {"token": HISTORY_TOKEN, "subjects": history},
            "target": target,
            "titles": titles,
            "citizen": citizen,
            "enterprise": enterprise,
            "market": market,
            "tax": tax,
            **queries,
            **audit_log,
            "objection": objections,
            "commitment": commitment,
            "reporting": reporting,
        }
    finally:
        if postgres:
            await DB.close_connection_pool()
            DB.pool = saved_pool
        else:
            await DB.close_pool()  # connections are keyed by this (soon closed) event loop


async def _seed_queries(f, market: dict, tax: dict, today) -> dict:
    """The non-public query journeys (tests/e2e/test_query_journeys.py): credit-centre staff, two
    citizens whose subjects hold one class-A, one class-B and one class-C record with marker titles,
    and an enterprise that files authorised queries.

    - ``self_citizen`` has not proved its identity yet (its journey uploads the document);
    - ``grantor`` proved it at the counter already (it approves the enterprise's request);
    - ``requester`` is an enterprise account of another legal person, with its organisation name
      (the name the audit log and the subject's "谁查询了我" show).
    """
    from portal.proofs.tables import IdentityProof, ProofMethod, ProofStatus

    staff = await f.account("staff")

    async def citizen_with_records(name: str, tag: str) -> tuple[dict, dict, dict]:
        person = await f.natural_subject(name=name)
        markers = {
            "A": f"表彰奖励 {tag}-A",
            "B": f"部门共享提示 {tag}-B",
            "C": f"有限共享司法信息 {tag}-C",
        }
        for cls, category, polarity, provider, days in (
            ("A", "person_positive", "positive", market, 30),
            ("B", "person_negative", "negative", tax, 20),
            ("C", "person_judicial", "negative", market, 10),
        ):
            await f.record(
                person["id"],
                provider["id"],
                disclosure_class=cls,
                category=category,
                polarity=polarity,
                title=markers[cls],
                decision_date=today - timedelta(days=days),
            )
        account = await f.account("citizen", subject_id=person["id"])
        return person, markers, account

    self_subject, self_markers, self_citizen = await citizen_with_records("周核验", "MKSELF")
    grantor_subject, grantor_markers, grantor = await citizen_with_records("吴授权", "MKGRANT")
    now = datetime.now(timezone.utc)
    await IdentityProof(
        account=grantor["id"],
        subject=grantor_subject["id"],
        method=ProofMethod.COUNTER,
        status=ProofStatus.VERIFIED,
        submitted_at=now,
        reviewed_by=staff["id"],
        reviewed_at=now,
    ).save()

    requester_subject = await f.legal_subject("河南E2E供应链管理有限公司")
    # only a proven enterprise files requests (its licence was accepted by staff).
    requester = await f.proven("enterprise", subject_id=requester_subject["id"])
    return {
        "staff": staff,
        "self_subject": self_subject,
        "self_markers": self_markers,
        "self_citizen": self_citizen,
        "grantor_subject": grantor_subject,
        "grantor_markers": grantor_markers,
        "grantor": grantor,
        "requester": {**requester, "organisation": requester_subject["name"]},
    }


async def _seed_objections(f, today) -> dict:
    """The objection journey (tests/e2e/test_objection_journey.py): a company with a published
    penalty, its proven enterprise account, the providing agency with an officer, centre staff."""
    provider = await f.agency("郑州市城市管理局（E2E异议）")
    company = await f.legal_subject("河南E2E异议示例建材有限公司")
    title = "未经许可占用城市道路堆放建材（E2E异议）"
    record_id = await f.record(
        company["id"],
        provider["id"],
        record_type="penalty",
        category="penalty",
        polarity="negative",
        title=title,
        decision_date=today - timedelta(days=12),
        publicity_end=today + timedelta(days=365),
        detail={"violation_facts": "在建设路占道堆放建材", "fine_amount": Decimal("0.2")},
    )
    return {
        "company": company,
        "record": record_id,
        "title": title,
        "owner": await f.proven("enterprise", subject_id=company["id"]),
        "officer": await f.account("agency", agency_id=provider["id"]),
        "staff": await f.account("staff"),
        "provider": provider,
    }


AUDIT_ORG = "郑州E2E审计对照信用服务有限公司"
AUDIT_ENTRIES = 70  # more than one page (50) of the auditor's log for one organisation and method


async def _seed_audit_log(f, legal: dict) -> dict:
    """An auditor account and a known slice of the query log (tests/e2e/test_auditor_journey.py).

    ``AUDIT_ENTRIES`` entries by one credit-service organisation, written through the real audit
    recorder exactly as the disclosure path builds them: every fifth by system interface (api), the
    rest 授权查询; even ones about a natural person, odd ones about a legal person; every seventh
    (i % 7 == 3) refused because the authorisation was revoked. The test computes what each filter
    must show from the returned ``entries`` (with their seq numbers)."""
    from audit.recorder import QueryEvent, Recorder
    from portal.accounts.tables import Account
    from portal.disclosure.service import load_subject, subject_label
    from portal.subjects.identity import subject_ref

    auditor = await f.account("auditor")
    requester = await f.account("third_party")
    await Account.update({Account.organisation: AUDIT_ORG}).where(Account.id == requester["id"])
    person = await f.natural_subject(name="冯审计")
    subjects = {"natural": await load_subject(person["id"]), "legal": await load_subject(legal["id"])}
    recorder = Recorder()
    entries = []
    try:
        for i in range(AUDIT_ENTRIES):
            subject = subjects["natural" if i % 2 == 0 else "legal"]
            event = QueryEvent(
                requester_account=requester["username"],
                requester_role="third_party",
                requester_org=AUDIT_ORG,
                method="api" if i % 5 == 0 else "third_party",
                reason_code="credit_report",
                reason_text=f"出具信用报告（E2E-{i:02d}）",
                subject_ref=subject_ref(subject),
                subject_label=subject_label(subject),
                scope="A,B",
                authority_ref=f"authorization:{9000 + i}",
                authority_sha256=f"{i:02d}" * 32,
                outcome="refused:authorization_revoked" if i % 7 == 3 else "allowed",
                request_id=f"e2e-audit-{i:03d}",
            )
            receipt = await recorder.record(event)
            entries.append(
                {
                    "i": i,
                    "seq": receipt.seq,
                    "natural": i % 2 == 0,
                    "method": event.method,
                    "outcome": event.outcome,
                    "reason_text": event.reason_text,
                    "subject_label": event.subject_label,
                    "authority_ref": event.authority_ref,
                    "authority_sha256": event.authority_sha256,
                }
            )
    finally:
        recorder.close()
    return {
        "auditor": auditor,
        "audit": {"org": AUDIT_ORG, "requester": requester, "person": person, "entries": entries},
    }


@pytest.fixture(scope="session")
def seed() -> dict:
    return _run_async(_seed)


# --------------------------------------------------------------------------- live server


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen
    log_path: Path
    workers_seen: set = field(default_factory=set)

    def worker_pids(self) -> set[int]:
        """The uvicorn worker processes (children of the supervisor)."""
        return _descendants(self.process.pid)

    def connection_owners(self) -> set[int]:
        """Which server processes hold an established connection right now (Linux /proc)."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == self.port:
                    inodes.add(fields[9])
        owners = set()
        for pid in self.worker_pids():
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    owners.add(pid)
        self.workers_seen |= owners
        return owners

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def live_server(seed) -> LiveServer:
    """``python -m portal serve --workers 2`` (it migrates first; idempotent) on a free port.

    The pytest interpreter is the project's environment (``uv run pytest``), so ``sys.executable``
    is the same Python ``uv run python`` would start, without a second lock/sync check."""
    port = _free_port()
    engine = "postgres" if os.environ.get("DATABASE_URL") else "sqlite"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"e2e-server-{engine}.log"
    log = log_path.open("wb")
    command = [sys.executable, "-m", "portal", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    env = dict(os.environ)
    # Served as in production: on PostgreSQL through the connection pool (portal.db.start_pool),
    # which the in-process suites leave off.
    env["PORTAL_PG_POOL_SIZE"] = "4"
    # Litestar's AllowedHostsMiddleware matches the whole Host header, port included
    # ("127.0.0.1:<port>"), so the port-qualified name has to be listed explicitly.
    hosts = [h for h in env.get("PORTAL_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
    env["PORTAL_ALLOWED_HOSTS"] = ",".join([*hosts, f"127.0.0.1:{port}"])
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(url=f"http://127.0.0.1:{port}", port=port, process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"portal serve exited with {process.returncode}:\n{server.log_tail()}")
            try:
                with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except urllib.error.HTTPError as error:  # it answers, but not with 200: no point waiting
                pytest.fail(f"/healthz answered {error.code}: {error.read()[:200]!r}\n{server.log_tail()}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"portal serve did not answer /healthz in {SERVER_START_TIMEOUT:.0f}s:\n{server.log_tail()}"
                )
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)
        log.close()


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server.url


# --------------------------------------------------------------------------- guard + steps

_CSP_RE = re.compile(r"Content Security Policy|Refused to", re.I)

# Reported to the console by the page itself, so that a violation shows up even when Chromium
# words its own message differently (init scripts are not subject to the page's CSP).
_CSP_REPORTER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('Content Security Policy violation: ' + e.violatedDirective + ' blocked ' +
                (e.blockedURI || 'inline') + ' at ' + (e.sourceFile || '') + ':' + (e.lineNumber || 0));
});
"""


class BrowserGuard:
    """Collects CSP violations, JS errors, htmx errors and failed static assets of watched pages."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed: list[re.Pattern] = []
        self._watched: set[int] = set()
        self._pages: list = []

    def allow(self, pattern: str) -> None:
        """Accept console errors matching ``pattern`` (e.g. the 400 of a rejected login form)."""
        self.allowed.append(re.compile(pattern))

    def watch_context(self, context) -> None:
        context.add_init_script(_CSP_REPORTER)
        context.add_init_script(axe.axe_source())
        context.add_init_script(axe.RUNNER)
        context.on("page", self.watch)
        for page in context.pages:
            self.watch(page)

    def watch(self, page) -> None:
        if id(page) in self._watched:
            return
        self._watched.add(id(page))
        self._pages.append(page)
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error on {page.url}: {error}"))
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)

    def _console(self, page, message) -> None:
        text = message.text
        source = (message.location or {}).get("url", "")
        if _CSP_RE.search(text):
            self.problems.append(f"CSP violation on {page.url}: {text} ({source})")
        elif message.type == "error":
            if source.endswith("/favicon.ico"):
                return  # the site has no favicon; Chromium asks for one on every page
            if not any(p.search(text) for p in self.allowed):
                self.problems.append(f"console error on {page.url}: {text} ({source})")

    def _response(self, response) -> None:
        if "/static/" in response.url and response.status >= 400:
            self.problems.append(f"static asset {response.url} answered {response.status}")

    def _request_failed(self, request) -> None:
        if "/favicon." in request.url and request.failure == "net::ERR_ABORTED":
            return  # a navigation or download that starts while the icon loads cancels it; not a broken asset
        if "/static/" in request.url:
            self.problems.append(f"static asset {request.url} failed: {request.failure}")

    def settle_all(self) -> None:
        """Let the axe runs still queued on open pages finish, so their reports are not lost."""
        for page in self._pages:
            if not page.is_closed():
                try:
                    axe.settle(page)
                except PlaywrightError:
                    pass  # closed or navigating meanwhile: its next document is checked on load

    def check(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def guard() -> BrowserGuard:
    return BrowserGuard()


@pytest.fixture
def context(new_context, guard):
    """The default context (and so the default ``page``), watched by the guard."""
    ctx = new_context()
    guard.watch_context(ctx)
    return ctx


@pytest.fixture
def open_context(new_context, guard):
    """Make further watched contexts: ``open_context(storage_state=..., viewport=...)``."""

    def _open(**kwargs):
        ctx = new_context(**kwargs)
        guard.watch_context(ctx)
        return ctx

    return _open


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_")


@pytest.fixture
def step(request, guard):
    """``step(page, "name")``: page settled, no CSP/JS problems, htmx loaded, styled; screenshot
    (``screenshot=False`` for the checks alone)."""
    counter = itertools.count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _step(page, name: str, *, htmx: bool = True, screenshot: bool = True) -> Path | None:
        page.wait_for_load_state("load")
        axe.settle(page)
        guard.check()
        if htmx:
            loaded = page.evaluate("typeof htmx")
            assert loaded == "object", f"htmx is not loaded on {page.url} (typeof htmx = {loaded})"
        background = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        assert background not in ("", "rgba(0, 0, 0, 0)", "transparent"), (
            f"no stylesheet applied on {page.url} (header background {background})"
        )
        if not screenshot:
            return None
        test = getattr(request.node, "originalname", None) or request.node.name
        path = SCREENSHOTS / f"{_safe(test)}-{next(counter):02d}-{_safe(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        guard.check()
        return path

    yield _step
    guard.settle_all()
    guard.check()
