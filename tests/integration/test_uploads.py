"""Uploads over HTTP (issue 3 §4): content-checked, size-limited, stored privately under random
names with a matching row, and served only to the uploader, the subject's accounts and staff."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from contextlib import asynccontextmanager

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.settings import ROOT, get_settings
from portal.uploads import service
from portal.uploads.tables import Upload, UploadPurpose
from tests import factories as f
from tests.unit.test_upload_sniff import make_image, make_pdf

pytestmark = pytest.mark.anyio
SETTINGS = get_settings()
LIMIT = SETTINGS.upload_max_bytes
BASE = "http://testserver.local"


@asynccontextmanager
async def session_as(app, role: str | None, **account_fields):
    """A fresh browser: anonymous, or logged in as a new account of ``role``."""
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        client.user = None
        if role:
            client.user = await f.account(role, **account_fields)
            assert (await f.login(client, client.user["username"])).status_code == 303
        else:
            await client.get("/login")  # the CSRF cookie, as a browser would have it
        yield client


async def post_upload(client, content: bytes, *, name="授权书.pdf", purpose="authorization_letter", **kw):
    headers = {"x-csrftoken": client.cookies.get("csrftoken"), "accept": "application/json", **kw.pop("headers", {})}
    ctype = kw.pop("content_type", "application/pdf")
    return await client.post(
        "/uploads", files={"file": (name, content, ctype)}, data={"purpose": purpose}, headers=headers, **kw
    )


def stored_files() -> set[str]:
    root = SETTINGS.uploads_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def rows_of(account_id: int) -> list[dict]:
    return await Upload.select().where(Upload.owner == account_id)


# --- storing --------------------------------------------------------------------------------


async def test_accepted_upload_is_stored_privately_under_a_random_name(app):
    pdf = make_pdf()
    async with session_as(app, Role.THIRD_PARTY) as client:
        response = await post_upload(client, pdf, name="../../static/授权书.html", content_type="text/html")
        assert response.status_code == 201, response.text
        body = response.json()["upload"]
    assert body["media_type"] == "application/pdf" and body["size"] == len(pdf)
    assert body["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert body["original_name"] == "授权书.html" and body["url"] == f"/uploads/{body['token']}"
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", body["token"]) and "id" not in body

    row = (await Upload.select().where(Upload.token == body["token"]))[0]
    assert row["owner"] == client.user["id"] and row["subject"] is None
    assert (row["sha256"], row["size"], row["purpose"]) == (body["sha256"], len(pdf), "authorization_letter")
    path = SETTINGS.uploads_dir / row["stored_name"]
    assert path.read_bytes() == pdf  # row and file agree, byte for byte
    assert not path.resolve().is_relative_to((ROOT / "static").resolve())
    assert "授权书" not in row["stored_name"] and row["token"] not in row["stored_name"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (path.parent, SETTINGS.uploads_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]


async def test_same_content_twice_gets_two_random_names(app):
    png = make_image("PNG")
    async with session_as(app, Role.CITIZEN) as client:
        first = (await post_upload(client, png, name="a.png", purpose="identity_document")).json()["upload"]
        second = (await post_upload(client, png, name="a.png", purpose="identity_document")).json()["upload"]
    names = {r["stored_name"] for r in await rows_of(client.user["id"])}
    assert first["token"] != second["token"] and len(names) == 2


async def test_csrf_token_in_the_form_field_also_works_and_none_is_refused(app):
    async with session_as(app, Role.AGENCY) as client:
        token = client.cookies.get("csrftoken")
        files = {"file": ("函.pdf", make_pdf(), "application/pdf")}
        ok = await client.post(
            "/uploads",
            files=files,
            data={"purpose": "official_letter", "_csrf_token": token},
            headers={"accept": "application/json"},
        )
        assert ok.status_code == 201, ok.text
        before = stored_files()
        refused = await client.post("/uploads", files=files, data={"purpose": "official_letter"})
        assert refused.status_code == 403
        assert stored_files() == before and len(await rows_of(client.user["id"])) == 1


CASES = {
    "html named .pdf": (b"<!doctype html><html><script>alert(1)</script></html>", "letter.pdf", 415),
    "svg named .png": (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "id.png", 415),
    "zip named .jpg": (b"PK\x03\x04" + b"\x00" * 100 + b"PK\x05\x06" + b"\x00" * 18, "id.jpg", 415),
    "truncated pdf": (make_pdf()[:400], "letter.pdf", 400),
    "empty": (b"", "letter.pdf", 400),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_wrong_or_broken_files_are_refused_with_a_chinese_message(app, case):
    content, name, status = CASES[case]
    async with session_as(app, Role.ENTERPRISE) as client:
        before = stored_files()
        response = await post_upload(client, content, name=name, purpose="business_license")
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] in {"unsupported_type", "damaged_file", "empty_file"}
        assert not error["message"].isascii()
        if status == 415:
            assert error["code"] == "unsupported_type" and error["message"] == "仅支持 PDF、JPG、PNG 格式的文件"
        page = await client.post(
            "/uploads",
            files={"file": (name, content, "application/pdf")},
            data={"purpose": "business_license"},
            headers={"x-csrftoken": client.cookies.get("csrftoken")},
        )
        assert page.status_code == status and "text/html" in page.headers["content-type"]
        assert error["message"] in page.text
    assert stored_files() == before and await rows_of(client.user["id"]) == []


async def test_htmx_widget_gets_fragments(app):
    async with session_as(app, Role.ENTERPRISE) as client:
        headers = {"x-csrftoken": client.cookies.get("csrftoken"), "hx-request": "true"}
        files = {"file": ("营业执照.jpg", make_image("JPEG"), "image/jpeg")}
        data = {"purpose": "business_license", "field": "license_token", "form_id": "apply-form"}
        ok = await client.post("/uploads", files=files, data=data, headers=headers)
        token = (await rows_of(client.user["id"]))[0]["token"]
        assert ok.status_code == 200 and "已上传营业执照" in ok.text
        assert f'name="license_token" value="{token}"' in ok.text and 'form="apply-form"' in ok.text
        files = {"file": ("x.pdf", b"<html></html>", "application/pdf")}
        bad = await client.post("/uploads", files=files, data=data, headers=headers)
        assert bad.status_code == 200 and 'role="alert"' in bad.text and "仅支持 PDF、JPG、PNG 格式的文件" in bad.text


async def test_who_may_upload_what(app):
    async with session_as(app, None) as anonymous:
        response = await post_upload(anonymous, make_pdf())
        assert response.status_code == 401
    for role in (Role.AUDITOR, Role.ADMIN):
        async with session_as(app, role) as client:
            assert (await post_upload(client, make_pdf())).status_code == 403, role
    async with session_as(app, Role.CITIZEN) as client:
        wrong = await post_upload(client, make_pdf(), purpose="official_letter")
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_purpose"
        missing = await client.post(
            "/uploads",
            data={"purpose": "identity_document"},
            files={"other": ("a.txt", b"x", "text/plain")},
            headers={"x-csrftoken": client.cookies.get("csrftoken"), "accept": "application/json"},
        )
        assert missing.status_code == 400 and missing.json()["error"]["code"] == "missing_file"
        assert await rows_of(client.user["id"]) == []


# --- size limits ----------------------------------------------------------------------------


def padded_pdf(size: int) -> bytes:
    pdf = make_pdf()
    return pdf + b"\n" * (size - len(pdf))  # trailing line breaks after %%EOF keep it a valid PDF


async def test_file_at_the_limit_is_accepted_one_byte_more_is_413(app):
    async with session_as(app, Role.STAFF) as client:
        at_limit = await post_upload(client, padded_pdf(LIMIT), purpose="identity_document")
        assert at_limit.status_code == 201 and at_limit.json()["upload"]["size"] == LIMIT
        before = stored_files()
        over = await post_upload(client, padded_pdf(LIMIT + 1), purpose="identity_document")
        assert over.status_code == 413
        assert over.json()["error"] == {
            "code": "file_too_large",
            "message": "文件大小超过 10 MB 上限，请压缩后重新上传",
        }
    assert stored_files() == before and len(await rows_of(client.user["id"])) == 1


@pytest.mark.parametrize("csrf_in", ["header", "form"])
async def test_body_over_the_request_limit_is_413_in_chinese(app, csrf_in):
    big = padded_pdf(LIMIT + 2 * 1024 * 1024)
    async with session_as(app, Role.STAFF) as client:
        before = stored_files()
        token = client.cookies.get("csrftoken")
        headers = {"x-csrftoken": token} if csrf_in == "header" else {}
        data = {"purpose": "identity_document"} | ({} if csrf_in == "header" else {"_csrf_token": token})
        files = {"file": ("big.pdf", big, "application/pdf")}
        response = await client.post("/uploads", files=files, data=data, headers=headers)
        assert response.status_code == 413 and "文件大小超过 10 MB 上限" in response.text
        as_json = await client.post(
            "/uploads", files=files, data=data, headers=headers | {"accept": "application/json"}
        )
        assert as_json.status_code == 413 and as_json.json()["error"]["code"] == "file_too_large"
    assert stored_files() == before and await rows_of(client.user["id"]) == []


async def test_declared_length_is_not_trusted(app):
    """No Content-Length at all (chunked): the server counts the bytes and stops early."""
    async with session_as(app, Role.STAFF) as client:
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        csrf = client.cookies.get("csrftoken")
    boundary = "----portal-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nidentity_document\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    chunk, total = b"\n" * (1024 * 1024), 40
    messages = [head + make_pdf()] + [chunk] * total + [f"\r\n--{boundary}--\r\n".encode()]
    consumed, sent = 0, []

    async def receive():
        nonlocal consumed
        consumed += 1
        if consumed > len(messages):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": messages[consumed - 1], "more_body": consumed < len(messages)}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/uploads",
        "raw_path": b"/uploads",
        "root_path": "",
        "query_string": b"",
        "server": ("testserver.local", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"testserver.local"),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"cookie", cookie.encode()),
            (b"x-csrftoken", csrf.encode()),
            (b"accept", b"application/json"),
        ],
    }
    before = stored_files()
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert consumed < total // 2  # stopped reading soon after the limit, not at the end
    assert stored_files() == before


# --- consistency ----------------------------------------------------------------------------


async def test_failed_insert_leaves_no_file(db):
    before = stored_files()
    with pytest.raises(Exception):  # noqa: B017 - FK violation; the driver's class differs per engine
        await service.store_upload(make_pdf(), owner_id=2_000_000_000, purpose="official_letter")
    assert stored_files() == before


async def test_service_limit_counts_streamed_chunks(db):
    owner = await f.account(Role.STAFF)

    async def chunks():
        yield make_pdf()
        for _ in range(LIMIT // (1024 * 1024) + 1):
            yield b"\n" * (1024 * 1024)

    with pytest.raises(service.UploadRejected) as caught:
        await service.store_upload(chunks(), owner_id=owner["id"], purpose="identity_document")
    assert (caught.value.code, caught.value.status) == ("file_too_large", 413)


async def test_sweep_removes_orphans_and_temp_files_only(db):
    owner = await f.account(Role.STAFF)
    kept = await service.store_upload(make_pdf(), owner_id=owner["id"], purpose="identity_document")
    stored = (await service.get_by_id(kept["id"]))["stored_name"]
    orphan = SETTINGS.uploads_dir / "zz" / ("o" * 32)
    temp = SETTINGS.uploads_dir / "zz" / f".{'t' * 32}.part"
    orphan.parent.mkdir(mode=0o700, exist_ok=True)
    for path in (orphan, temp):
        path.write_bytes(b"x")
        os.utime(path, (1, 1))
    assert await service.sweep(older_than=3600) >= 2
    assert not orphan.exists() and not temp.exists() and (SETTINGS.uploads_dir / stored).exists()


async def test_masked_id_number_in_names(app):
    number = f.new_id_number()
    async with session_as(app, Role.CITIZEN) as client:
        response = await post_upload(
            client,
            make_image("JPEG"),
            name=f"{number}身份证.jpg",
            content_type="image/jpeg",
            purpose="identity_document",
        )
        body = response.json()["upload"]
        assert number not in response.text and body["original_name"].endswith("身份证.jpg")
        download = await client.get(body["url"])
        assert download.status_code == 200 and number not in download.headers["content-disposition"]


# --- serving --------------------------------------------------------------------------------


async def test_download_headers(app):
    pdf = make_pdf()
    async with session_as(app, Role.THIRD_PARTY) as client:
        body = (await post_upload(client, pdf, name="授权书.html", content_type="text/html")).json()["upload"]
        response = await client.get(body["url"])
    assert response.status_code == 200 and response.content == pdf
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%8E%88%E6%9D%83%E4%B9%A6.pdf" in disposition  # 授权书.pdf, sniffed extension
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_download_access_matrix(app):
    """Uploader, the subject's account and staff get the file; everybody else a 404 (not 403)."""
    subject = await f.natural_subject()
    other_subject = await f.natural_subject()
    provider = await f.agency()
    async with session_as(app, Role.THIRD_PARTY) as uploader:
        body = (await post_upload(uploader, make_pdf())).json()["upload"]
    upload_id = (await Upload.select(Upload.id).where(Upload.token == body["token"]))[0]["id"]
    url = body["url"]

    async with session_as(app, Role.CITIZEN, subject_id=subject["id"]) as concerned:
        assert (await concerned.get(url)).status_code == 404  # not yet the subject concerned
        await service.attach_subject(upload_id, subject["id"])
        assert (await concerned.get(url)).status_code == 200

    allowed = {Role.STAFF: {}}
    denied = {
        "other citizen": (Role.CITIZEN, {"subject_id": other_subject["id"]}),
        "enterprise": (Role.ENTERPRISE, {}),
        "other third party": (Role.THIRD_PARTY, {}),
        "agency officer": (Role.AGENCY, {"agency_id": provider["id"]}),
        "auditor": (Role.AUDITOR, {}),
        "admin": (Role.ADMIN, {}),
        "anonymous": (None, {}),
    }
    for role, fields in allowed.items():
        async with session_as(app, role, **fields) as client:
            assert (await client.get(url)).status_code == 200, role
    for who, (role, fields) in denied.items():
        async with session_as(app, role, **fields) as client:
            response = await client.get(url, follow_redirects=False)
            assert response.status_code == 404, who
            assert "页面不存在" in response.text and "attachment" not in response.headers.get("content-disposition", "")
    async with AsyncTestClient(app=app, base_url=BASE) as client:  # the uploader's session again
        client.cookies.update(uploader.cookies)
        assert (await client.get(url)).status_code == 200
        assert (await client.get(f"/uploads/{upload_id}")).status_code == 404  # sequential ids mean nothing
        assert (await client.get("/uploads/" + "A" * 32)).status_code == 404


async def test_attach_subject_cannot_repoint_an_upload(db):
    owner = await f.account(Role.THIRD_PARTY)
    first, second = await f.natural_subject(), await f.natural_subject()
    stored = await service.store_upload(make_pdf(), owner_id=owner["id"], purpose="authorization_letter")
    await service.attach_subject(stored["id"], first["id"])
    await service.attach_subject(stored["id"], first["id"])  # idempotent
    with pytest.raises(service.UploadRejected) as caught:
        await service.attach_subject(stored["id"], second["id"])
    assert caught.value.code == "subject_conflict"
    assert (await service.get_by_id(stored["id"]))["subject"] == first["id"]
    with pytest.raises(service.UploadNotFound):
        await service.attach_subject(2_000_000_000, first["id"])


async def test_get_owned_only_for_the_owner(db):
    owner, stranger = await f.account(Role.ENTERPRISE), await f.account(Role.ENTERPRISE)
    stored = await service.store_upload(make_pdf(), owner_id=owner["id"], purpose=UploadPurpose.ENTERPRISE_LETTER)
    assert (await service.get_owned(stored["token"], owner["id"]))["id"] == stored["id"]
    assert await service.get_owned(stored["token"], owner["id"], purpose=UploadPurpose.BUSINESS_LICENSE) is None
    assert await service.get_owned(stored["token"], stranger["id"]) is None
    assert await service.get_owned("' OR 1=1 --", owner["id"]) is None


# --- the reusable form field ----------------------------------------------------------------


def render_field(call: str) -> str:
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(ROOT / "templates"), autoescape=True)
    return env.from_string('{% from "_components/upload_field.html" import upload_field %}' + call).render()


async def test_upload_field_macro():
    plain = render_field('{{ upload_field(name="letter", label="书面授权书") }}')
    assert 'type="file" name="letter" accept=".pdf,.jpg,.jpeg,.png"' in plain and "required" in plain
    assert "书面授权书" in plain and "支持 PDF、JPG、PNG 格式，单个文件不超过 10 MB。" in plain
    assert "hx-post" not in plain
    instant = render_field(
        '{{ upload_field(purpose="business_license", instant_for="apply", field="license_token", required=False) }}'
    )
    assert 'hx-post="/uploads"' in instant and 'hx-encoding="multipart/form-data"' in instant
    assert 'name="purpose" value="business_license"' in instant and 'name="form_id" value="apply"' in instant
    assert 'name="field" value="license_token"' in instant and "required" not in instant


async def test_staff_download_is_recorded_for_the_subject_without_raising_its_count(app):
    """R-28, SPEC §5: staff opening a subject's document is on record, in the subject's own history
    (what 谁查询了我 shows); an access entry is not a query (R-19). The owner's downloads record nothing."""
    from audit import recorder
    from portal.disclosure.service import load_subject
    from portal.subjects.identity import subject_ref

    subject = await f.natural_subject()
    ref = subject_ref(await load_subject(subject["id"]))
    async with session_as(app, Role.CITIZEN, subject_id=subject["id"]) as owner:
        pdf = make_pdf()
        body = (await post_upload(owner, pdf, name="身份证.pdf", purpose="identity_document")).json()["upload"]
        upload_id = (await Upload.select(Upload.id).where(Upload.token == body["token"]))[0]["id"]
        await service.attach_subject(upload_id, subject["id"])
        before = await recorder.subject_history(ref, limit=50)
        counts = await recorder.subject_count(ref)
        assert (await owner.get(body["url"])).status_code == 200
        assert await recorder.subject_history(ref, limit=50) == before  # the owner's download: nothing

    async with session_as(app, Role.STAFF) as staff:
        response = await staff.get(body["url"])
        assert response.status_code == 200 and response.content == pdf
    history = await recorder.subject_history(ref, limit=50)
    assert len(history) == len(before) + 1
    newest = history[0]
    assert (newest["method"], newest["reason_code"], newest["requester_role"]) == (
        "staff_review",
        "identity_document",
        "staff",
    )
    assert newest["reason_text"] == "下载身份证明材料" and subject["id_number"] not in str(newest)
    assert await recorder.subject_count(ref) == counts  # recorded (谁查询了我 reads this history), never counted


async def test_an_account_cannot_fill_the_disk(app, monkeypatch):
    """A daily quota per account (an account that has proven nothing yet can upload): the upload
    that would pass it is refused with 429 in Chinese and leaves no file and no row."""
    pdf = make_pdf()
    monkeypatch.setenv("PORTAL_UPLOAD_DAILY_BYTES", str(2 * len(pdf) + 10))
    get_settings.cache_clear()
    try:
        async with session_as(app, Role.CITIZEN) as client:
            for _ in range(2):
                assert (await post_upload(client, pdf, purpose="identity_document")).status_code == 201
            before = stored_files()
            third = await post_upload(client, pdf, purpose="identity_document")
            assert third.status_code == 429 and third.json()["error"]["code"] == "daily_quota"
            assert "24 小时内上传的材料已超过" in third.json()["error"]["message"]
            assert stored_files() == before and len(await rows_of(client.user["id"])) == 2
        async with session_as(app, Role.CITIZEN) as other:  # the quota is each account's own
            assert (await post_upload(other, pdf, purpose="identity_document")).status_code == 201
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
