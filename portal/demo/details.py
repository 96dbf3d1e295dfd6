"""Rows that hang off a credit record or a subject: 双公示 details, change history, list entries.

A mixin of portal.demo.generate.DemoGenerator (uses its ``rnd``, id counters and helpers). Rows
are COPY text lines built with f-strings (fields separated by tabs, ``\\N`` for NULL).
"""

from __future__ import annotations

import json

from portal.demo.calendar_tables import CN, END, ISO, TODAY, TS, YEAR
from portal.demo.columns import NULL
from portal.demo.names import Weighted

__all__ = ["DetailMixin"]

_ACTIONS = Weighted((("新办", 7), ("延续", 2), ("变更", 1)))
_CORRECT_REASONS = ("依据异议核查结果更正决定日期", "数据来源单位核实后更正录入错误", "依据信用修复申请审核结果更正")
_REVOKE_REASONS = {
    "penalty": "原行政处罚决定经行政复议被撤销",
    "license": "行政许可被依法撤回",
    "general": "数据来源单位撤回错报信息",
}
_SEVERE = frozenset({"suspend", "revoke", "detain", "detain_fine"})
_REVOKE_CATEGORY = "暂扣或者吊销许可证、暂扣或者吊销执照"


def _round(x: float) -> int:
    """Fines as a person would set them: to 1000 above 10 000, to 100 above 1 000, else to 50."""
    x = int(x)
    if x >= 10000:
        return x // 1000 * 1000
    if x >= 1000:
        return x // 100 * 100
    return max(50, x // 50 * 50)


class DetailMixin:
    def _license(self, s, t, d: int, rid: str, authority: str, source: str, status: str):
        """Append the LicenseDetail row; (title, record content, document number) for the record."""
        spec = t.spec
        name, approval = spec["name"], spec["approval"]
        content = spec["content"](self, s, d)
        number = spec["number"](self, s, d)[:100]
        project = spec["project"](self, s, d) if spec["project"] else name
        years = spec["years"]
        valid_to = d + years * 365 - 1 if years else None
        current = "无效" if status == "revoked" or (valid_to is not None and valid_to < TODAY) else "有效"
        title = name if approval == "登记" else f"{name}（{_ACTIONS.pick(self.rnd())}）"
        until = f"有效期至{CN[valid_to]}" if valid_to else "长期有效"
        self.n_license += 1
        self.out_license.append(
            f"{self.n_license}\t{rid}\t{s.name}\t{s.code}\t{s.rep}\t{project}\t{approval}\t{content}\t{ISO[d]}\t"
            f"{ISO[valid_to] if valid_to else NULL}\t{authority}\t{current}\t{source}"
        )
        return title, f"准予{title}。{content}；证照编号：{number}；{until}。", number

    def _penalty(self, s, t, d: int, rid: str, authority: str, source: str):
        """Append the PenaltyDetail row; (title, record content, document number, 公示截止期)."""
        spec, rnd = t.spec, self.rnd
        kind, lo, hi = t.options.pick(rnd())
        authority = spec["authority"] or authority
        facts = spec["facts"](self, s, d)
        fine = _round(lo + rnd() * (hi - lo)) if hi and kind not in ("detain", "revoke") else 0
        confiscated, action = NULL, ""
        if kind == "warn":
            category, text = "警告", "警告"
        elif kind == "fine":
            category, text = "罚款", f"罚款人民币{fine}元"
        elif kind == "warn_fine":
            category, text = "警告；罚款", f"警告，并处罚款人民币{fine}元"
        elif kind == "confiscate":
            c = _round(fine * (0.05 + rnd() * 0.4))
            confiscated = f"{c / 10000:.4f}"
            category, text = "没收违法所得、没收非法财物；罚款", f"没收违法所得人民币{c}元，并处罚款人民币{fine}元"
        elif kind == "suspend":
            category, text = "责令停产停业；罚款", f"责令停产整治{int(rnd() * 6) + 1}个月，并处罚款人民币{fine}元"
        elif kind == "revoke":
            licence = spec["revoke_name"]
            category, text = _REVOKE_CATEGORY, f"吊销{licence}"
            action = f"吊销{licence}（编号：{s.code if licence == '营业执照' else self.digits(12)}）"
        elif kind == "detain":
            category, text = "行政拘留", f"行政拘留{lo + int(rnd() * (hi - lo + 1))}日"
        elif kind == "detain_fine":
            category, text = "行政拘留；罚款", f"行政拘留{int(rnd() * 6) + 5}日，并处罚款人民币{fine}元"
        else:  # dl_suspend: the driving licence number is the ID number, so only the masked form
            category, text = _REVOKE_CATEGORY + "；罚款", f"暂扣机动车驾驶证六个月，并处罚款人民币{fine}元"
            action = f"暂扣机动车驾驶证六个月（证号：{s.code}）"
        # 公示期: light 3 months, ordinary 1 year, severe 3 years.
        if kind in _SEVERE or fine >= 100000:
            valid_to = d + 1095
        elif kind == "warn" or (kind in ("fine", "warn_fine") and fine <= 5000):
            valid_to = d + 91
        else:
            valid_to = d + 365
        self.n_penalty += 1
        basis, vtype = spec["basis"], spec["vtype"]
        self.out_penalty.append(
            f"{self.n_penalty}\t{rid}\t{s.name}\t{s.code}\t{s.rep}\t{vtype}\t{facts}\t{basis}\t{category}\t{text}\t"
            f"{f'{fine / 10000:.4f}' if fine else NULL}\t{confiscated}\t{action}\t{ISO[valid_to]}\t{authority}\t"
            f"{source}"
        )
        doc = f"{self.dept_abbr}罚〔{YEAR[d]}〕{int(rnd() * 5000) + 1}号"
        return vtype, f"{facts}依据{basis}，决定给予{text}。", doc, ISO[valid_to]

    def _change(
        self, rid: str, status: str, t, title: str, content: str, cls: str, d: int, changed: int, source: str
    ) -> None:
        """The RecordChange row holding version 1 of a corrected or revoked record (R-11)."""
        if status == "corrected":
            action, reason = "correct", self.p(_CORRECT_REASONS)
            before = {"decision_date": ISO[d - 1 - int(self.rnd() * 10)], "content": content}
        else:
            action, reason = "revoke", _REVOKE_REASONS[t.rtype]
            before = {"status": "in_force"}
        snapshot = json.dumps({"version": 1, "title": title, "disclosure_class": cls, **before}, ensure_ascii=False)
        self.n_change += 1
        self.out_change.append(
            f"{self.n_change}\t{rid}\t1\t{action}\t{reason}\t{source}（系统对接）\t{snapshot}\t{TS[changed]}"
        )

    def _list_entry(self, s, lo: int) -> None:
        """One red or black list entry (R-P5); about a tenth of the black ones already removed."""
        rnd = self.rnd
        name, list_type, dept, _, _, years, reason_fn = self._lists["N" if s.type == "natural" else "L"].pick(rnd())
        d = lo + int(rnd() * (END - lo + 1))
        provider = self._level(s, dept, 0.0)[0]
        if dept == "fy":
            self.court_code = s.dist.court_code
        reason = reason_fn(self, s, d)
        doc = self.last_case if dept == "fy" else f"{self.dept_abbr}〔{YEAR[d]}〕{int(rnd() * 900) + 1}号"
        expires = ISO[d + years * 365] if years else NULL
        status = "removed" if list_type == "black" and rnd() < 0.12 else "in_force"
        cls = "A" if rnd() < 0.95 else "B"
        self.n_list += 1
        self.out_list.append(
            f"{self.n_list}\t{s.sid}\t{list_type}\t{name}\t{reason}\t{provider}\t{doc}\t{ISO[d]}\t{expires}\t{cls}\t"
            f"{status}\t{TS[min(d + 1, TODAY - 1)]}"
        )
