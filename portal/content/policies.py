"""政策法规: the regulations the platform implements, as readable pages.

The texts are the published documents, kept verbatim in ``texts/``; this module only names them
and splits them into headings and paragraphs (chapters 第X章, articles 第X条, numbered parts
一、 / （一）) so each article has an anchor a page or a decision can link to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Policy", "POLICIES", "policy", "blocks"]

TEXTS = Path(__file__).with_name("texts")


@dataclass(frozen=True)
class Policy:
    slug: str
    title: str
    doc_number: str
    issuer: str
    issued: str
    summary: str


POLICIES = (
    Policy(
        "zzb-2017-80",
        "郑州市公共信用信息管理暂行办法",
        "郑政办〔2017〕80号",
        "郑州市人民政府办公厅",
        "2017年7月",
        "公共信用信息的征集、披露、使用、异议处理和监督管理；信息分为社会公开、部门共享、有限共享三类。",
    ),
    Policy(
        "zzb-2017-105",
        "郑州市在行政管理事项中使用信用产品实施办法",
        "郑政办〔2017〕105号",
        "郑州市人民政府办公厅",
        "2017年",
        "信用承诺、信用信息核查（信用审查）和第三方信用报告在行政管理事项中的使用。",
    ),
    Policy(
        "zhb-2017-15",
        "郑州市环境保护局关于在行政管理事项中使用信用产品的实施方案（试行）",
        "郑环文〔2017〕15号",
        "郑州市环境保护局",
        "2017年",
        "环境保护领域使用信用产品的范围、方式和按季度报送使用情况。",
    ),
    Policy(
        "ksb-2017-41",
        "昆山市行政管理中使用信用信息和信用产品实施办法（试行）",
        "昆政办发〔2017〕41号",
        "昆山市人民政府办公室",
        "2017年",
        "信用承诺、信用审查、信用报告的使用，信用服务机构管理和考核（参考）。",
    ),
    Policy(
        "jx-2021-2",
        "关于在行政管理事项中使用信用记录和信用报告的实施意见",
        "郏信用办〔2021〕2号",
        "郏县社会信用体系建设领导小组办公室",
        "2021年",
        "逢办必查、红黑名单联合奖惩、信用报告使用和监督考核（参考）。",
    ),
)
_BY_SLUG = {p.slug: p for p in POLICIES}

_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零]+章")
_ARTICLE = re.compile(r"^(第[一二三四五六七八九十百零]+条)\s*(.*)$")
_PART = re.compile(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


def policy(slug: str) -> Policy | None:
    return _BY_SLUG.get(slug)


@cache
def blocks(slug: str) -> tuple[dict, ...]:
    """The document as ``{"kind": "heading"|"article"|"para", "text", "anchor", "label"}`` blocks."""
    text = (TEXTS / f"{slug}.txt").read_text(encoding="utf-8")
    out: list[dict] = []
    articles = 0
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if _CHAPTER.match(line):
            out.append({"kind": "heading", "text": line, "anchor": f"c{len(out)}", "label": ""})
        elif match := _ARTICLE.match(line):
            articles += 1
            out.append({"kind": "article", "label": match[1], "text": match[2], "anchor": f"a{articles}"})
        elif _PART.match(line) and len(line) <= 40:
            out.append({"kind": "heading", "text": line, "anchor": f"c{len(out)}", "label": ""})
        else:
            out.append({"kind": "para", "text": line, "anchor": "", "label": ""})
    return tuple(out)
