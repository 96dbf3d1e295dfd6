"""Auditor filters refuse raw ID numbers and never log them (DESIGN rule 4; issue 8, observation 8).

The ``org`` and ``requester`` filters took any text: an ID number typed there was browsed by URL
and written to the server log by the exports ("auditor CSV export: org=4101…"). Now the filter is a
400 pointing to the subject form, and nothing the exports log carries a full ID number.
"""

from __future__ import annotations

import logging

import pytest
from litestar.testing import AsyncTestClient

from audit.filters import FilterError, FilterForm
from tests import factories as f

pytestmark = pytest.mark.anyio


@pytest.fixture
async def auditor(app):
    user = await f.account("auditor")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await f.login(client, user["username"])).status_code == 303
        yield client


@pytest.mark.parametrize("param", ["org", "requester"])
@pytest.mark.parametrize("path", ["/audit/log", "/audit/export.csv", "/audit/export.xlsx"])
async def test_an_id_number_in_a_filter_is_refused_and_never_logged(auditor, caplog, param, path):
    id_number = f.new_id_number()
    caplog.set_level(logging.DEBUG)
    for value in (id_number, f"某公司 {id_number}", id_number.lower()):
        response = await auditor.get(path, params={param: value})
        assert response.status_code == 400
        assert "按主体汇总" in response.text and "公民身份号码" in response.text
        assert id_number not in response.text and id_number.lower() not in response.text
    # Every server-side logger (the test's own HTTP client, httpx, logs the URL it sent).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert id_number not in logged and id_number.lower() not in logged


async def test_ordinary_filters_still_work_and_are_logged_masked(auditor, caplog):
    caplog.set_level(logging.INFO, logger="audit.ui")
    response = await auditor.get("/audit/export.csv", params={"org": "郑州市测试局", "requester": "17"})
    assert response.status_code == 200
    assert any("org=" in r.getMessage() for r in caplog.records if r.name == "audit.ui")


def test_the_filter_form_refuses_id_numbers_and_usccs():
    for form in (
        FilterForm(org=f.new_id_number()),
        FilterForm(requester=f.new_id_number()),
        FilterForm(org=f.new_uscc()),
        FilterForm(requester="x " + f.new_id_number()[:17] + "x"),
    ):
        with pytest.raises(FilterError, match="按主体汇总"):
            form.to_filters()
    assert FilterForm(org="郑州市测试局", requester="17").to_filters().requester_org == "郑州市测试局"
