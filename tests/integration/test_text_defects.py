"""User-visible wording: template names without 信息信息, upload errors naming columns in Chinese
(never record_id or penalty.violation_facts), 长期 for a black-list entry without an end date."""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from tests import factories as f
from tests.integration.test_agency_entry import _officer, _penalty_form
from tests.integration.test_xlsx_upload import _filled, _imported, _penalty_row, _template

pytestmark = pytest.mark.anyio

LEAK = re.compile(r"record_id|penalty\.|license\.|subject\.")


async def test_template_links_and_file_names_say_xinxi_once(client):
    await _officer(client)
    page = (await client.get("/agency/uploads")).text
    links = re.findall(r'href="/agency/templates/\w+\.xlsx">([^<]+)</a>', page)
    assert links == ["下载行政许可信息模板", "下载行政处罚信息模板", "下载其他信用信息模板"]
    names = []
    for kind in ("license", "penalty", "general"):
        response = await client.get(f"/agency/templates/{kind}.xlsx")
        names.append(unquote(response.headers["content-disposition"]))
    assert all("信息信息" not in n for n in names) and "其他信用信息报送模板.xlsx" in names[2], names


async def test_upload_errors_name_the_columns_in_chinese(client):
    await _officer(client)
    person = {"行政相对人类别": "自然人", "行政相对人名称": "表格测试", "统一社会信用代码": None}
    person["公民身份号码"] = f.new_id_number()
    rows = [
        _penalty_row("bad id!", f.new_uscc()),
        _penalty_row(
            f.unique("F"), None, **person, **{"违法事实": "当事人患有艾滋病", "信息类别代码": "person_penalty"}
        ),
    ]
    job = await _imported(client, _filled(await _template(client), rows))
    rejected = load_workbook(io.BytesIO((await client.get(f"/agency/uploads/{job['id']}/rejected.xlsx")).content))
    reasons = [r[-1] for r in rejected.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert len(reasons) == 2 and not any(LEAK.search(r) for r in reasons), reasons
    assert "记录编号应为本单位的编号" in reasons[0]
    assert reasons[1].startswith("字段“违法事实”的内容涉及禁止征集的个人信息"), reasons[1]  # named once

    form = _penalty_form(client, "bad id!", f.new_uscc(), **{"penalty.violation_facts": "当事人信仰佛教"})
    form.update({"subject.kind": "natural", "subject.uscc": "", "subject.id_number": f.new_id_number()})
    page = (await client.post("/agency/entry/penalty", data=form)).text
    errors = " ".join(re.findall(r'<p id="e-[^"]*"[^>]*>(.*?)</p>', page, re.S))
    assert "字段“违法事实”的内容涉及" in errors and "记录编号应为" in errors and not LEAK.search(errors), errors


async def test_a_black_list_entry_without_end_date_is_long_term_in_the_list_and_on_its_page(client):
    agency = await f.agency()
    token = f.unique()[-4:]
    company = await f.legal_subject(f"河南长期{token}名单有限公司")
    entry = await f.list_entry(company["id"], agency["id"], "black", listed_on=date(2025, 3, 1), expires_on=None)
    listing = (await client.get("/lists/black", params={"name": f"长期{token}"})).text
    cell = re.search(r'data-label="有效期至">([^<]*)</td>', listing)
    assert cell and cell.group(1) == "长期"
    page = (await client.get(f"/lists/black/{entry}")).text
    assert re.search(r"有效期至</dt><dd>长期</dd>", page)
