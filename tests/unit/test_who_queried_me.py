"""谁查询了我 (R-19): each row names who queried; "本人" only for the subject's own views."""

from __future__ import annotations

from datetime import datetime, timezone

from jinja2 import Environment, FileSystemLoader

from portal.settings import ROOT
from portal.web.templating import configure


def _requester_cells(entries: list[dict]) -> list[str]:
    env = Environment(loader=FileSystemLoader(ROOT / "templates"), autoescape=True)
    configure(env)
    html = env.get_template("portal/me/_queries.html").render(history=entries, next_before=None)
    return [row.split('<td class="pr-3">', 1)[1].split("</td>", 1)[0] for row in html.split("<tr>")[1:]]


def _entry(method: str, role: str, org: str = "") -> dict:
    now = datetime.now(timezone.utc)
    return {
        "created_at": now,
        "requester_org": org,
        "requester_role": role,
        "method": method,
        "reason_code": "",
        "reason_text": "",
        "outcome": "allowed",
    }


def test_a_requester_without_an_organisation_is_named_by_its_role_never_as_the_subject():
    cells = _requester_cells(
        [
            _entry("web_self", "citizen"),
            _entry("owner_view", "citizen"),
            _entry("third_party", "citizen"),  # e.g. an account of another person: not "本人"
            _entry("staff_review", "staff"),
            _entry("third_party", "third_party", "郑州某信用管理有限公司"),
        ]
    )
    assert cells == ["本人", "本人", "个人用户", "信用中心工作人员", "郑州某信用管理有限公司"]
