"""The open-data API documentation at /api and the API's field errors in Chinese."""

from __future__ import annotations

import pytest

from portal.assets import SWAGGER_DIR
from portal.settings import ROOT, get_settings
from portal.web.field_errors import in_chinese

pytestmark = pytest.mark.anyio


async def test_the_documentation_page_explains_errors_and_limits_and_loads_the_reference(client):
    page = await client.get("/api")
    assert page.status_code == 200
    html = page.text
    settings = get_settings()
    assert "<h1" in html and "开放数据接口说明" in html
    assert f"平均每秒 {settings.api_rate_per_second:g} 次" in html and f"突发 {settings.api_burst} 次" in html
    assert "Retry-After" in html and "too_many_requests" in html and "Authorization: Bearer" in html
    # The reference is rendered from the live schema by local files only (CSP script-src 'self').
    assert 'data-schema-url="/schema/openapi.json"' in html
    for path in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css", "src/api-docs.js"):
        assert f"/static/{path}?v=" in html
        assert (ROOT / "static" / path).is_file()
        served = await client.get(f"/static/{path}")
        assert served.status_code == 200
    assert "<script>" not in html and "cdn" not in html.lower()
    assert (SWAGGER_DIR / "LICENSE").is_file()
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200 and "/api/v1/public/disclosures" in schema.json()["paths"]


async def test_every_page_links_to_the_documentation(client):
    for path in ("/", "/search", "/disclosures"):
        assert 'href="/api"' in (await client.get(path)).text


async def test_the_documented_error_example_is_what_the_api_answers(client):
    response = await client.get("/api/v1/public/disclosures", params={"limit": "abc"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "bad_request",
            "message": "参数 limit 有误：应为整数，收到的是文本",
            "fields": [{"key": "limit", "source": "query", "message": "应为整数，收到的是文本"}],
        }
    }
    page = (await client.get("/api")).text
    assert "参数 limit 有误：应为整数，收到的是文本" in page


async def test_field_errors_are_in_chinese(client):
    since = await client.get("/api/v1/public/disclosures", params={"since": "2026-13-01"})
    assert since.json()["error"]["fields"][0]["message"] == "日期格式应为 YYYY-MM-DD，如 2026-12-01"
    big = await client.get("/api/v1/public/disclosures", params={"limit": "1000"})
    assert big.json()["error"]["fields"][0]["message"] == "不能大于 100"
    kind = await client.get("/api/v1/public/disclosures", params={"type": "nonsense"})
    assert kind.status_code == 400
    assert all(not f["message"].isascii() for f in kind.json()["error"]["fields"])
    missing = await client.get("/api/v1/public/subjects")
    assert missing.status_code == 400
    assert missing.json()["error"]["fields"][0]["message"] == "缺少必填参数 q"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Expected `int`, got `str`", "应为整数，收到的是文本"),
        ("Expected `str` of length <= 200", "长度不能超过 200"),
        ("Expected `int` >= 1", "不能小于 1"),
        ("Invalid RFC3339 encoded datetime", "日期时间格式应为 RFC 3339，如 2026-12-01T08:00:00+08:00"),
        ("Object missing required field `items`", "缺少必填字段 items"),
        ("Expected `array`, got `object` - at `$.items`", "应为数组，收到的是对象（位置 $.items）"),
        ("Something nobody foresaw", "取值或格式不正确"),
        ("每批应有 1 至 500 项", "每批应有 1 至 500 项"),
    ],
)
def test_validator_messages_in_chinese(english, chinese):
    assert in_chinese(english) == chinese


async def test_the_schema_shows_real_answers_never_generated_strings(client):
    """/api renders the schema: every error example is what the API answers for that status, in
    Chinese, and no example is Litestar's random filler (it had "code": "ctxrbGzKsdnjxheBhfgK")."""
    import re

    from portal.web.errors import CODES

    schema = (await client.get("/schema/openapi.json")).json()
    assert not re.findall(r'"[A-Za-z]{20}"', str(schema).replace("'", '"'))
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                assert not answer["description"].isascii() or answer["description"] == "PDF", (path, method, status)
                for example in answer.get("content", {}).get("application/json", {}).get("examples", {}).values():
                    error = example["value"]["error"]
                    assert error["code"] == CODES.get(int(status), "conflict") and not error["message"].isascii()
    real = await client.get("/api/v1/public/disclosures", params={"limit": "0"})
    documented = schema["paths"]["/api/v1/public/disclosures"]["get"]["responses"]["400"]
    assert real.json() in [e["value"] for e in documented["content"]["application/json"]["examples"].values()]
