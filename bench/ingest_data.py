"""Deterministic reports for the collection benchmark: push items (JSON) and workbook rows.

Half of the records are about existing legal persons (sampled from the data set), half about new
subjects (nine in ten legal persons with a fresh USCC, one in ten natural persons with a fresh ID
number); every record is a penalty with its details (处罚决定书), as agencies report most.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from portal.lib import id_number as idn
from portal.lib import uscc as uscc_rules

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
_TRADES = ("建材", "商贸", "餐饮", "物流", "科技", "建筑工程", "食品", "医药", "机械", "环保")
_FACTS = (
    ("安全生产违法", "作业现场未设置安全警示标志", "《安全生产法》第九十九条", "罚款"),
    ("食品安全违法", "经营超过保质期的食品", "《食品安全法》第一百二十四条", "罚款"),
    ("环境保护违法", "未按规定配套建设污染防治设施", "《环境保护法》第六十一条", "责令改正并处罚款"),
    ("价格违法", "未按规定明码标价", "《价格法》第四十二条", "警告"),
)


class Maker:
    """Items by number: item ``n`` is the same for a given seed and sample, whatever asks for it."""

    def __init__(self, existing: list[tuple[str, str]], seed: int, tag: str, today: date) -> None:
        self.existing = existing
        self.seed = seed
        self.tag = tag
        self.today = today

    def _subject(self, n: int, rng: random.Random) -> dict:
        if n % 2 == 0 and self.existing:
            uscc, name = self.existing[rng.randrange(len(self.existing))]
            return {"kind": "legal", "uscc": uscc, "name": name}
        if n % 20 == 1:
            # Unique by n (birth date and sequence number from it): no two new persons share one.
            born = date(1960, 1, 1) + timedelta(days=(n // 1000) % 14_600)
            number = idn.make("410105", born, f"{n % 1000:03d}")
            name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
            return {"kind": "natural", "id_number": number, "name": name}
        body = "91410105" + "".join(rng.choice(_USCC_CHARS) for _ in range(9))
        name = f"郑州{rng.choice(_SURNAMES)}{rng.choice(_GIVEN)}{rng.choice(_TRADES)}有限公司{n}"
        return {"kind": "legal", "uscc": uscc_rules.make(body), "name": name}

    def item(self, n: int) -> dict:
        rng = random.Random(f"{self.seed}:{self.tag}:{n}")
        subject = self._subject(n, rng)
        vtype, facts, basis, category = rng.choice(_FACTS)
        natural = subject["kind"] == "natural"
        ref = f"B{self.tag}-{n:07d}"
        return {
            "action": "create",
            "record_id": ref,
            "subject": subject,
            "record_type": "penalty",
            "category": "person_penalty" if natural else "penalty",
            "disclosure_class": "B" if natural else "A",
            "title": f"{facts}（基准）",
            "doc_number": f"郑基准罚〔2026〕{n}号",
            "decision_date": (self.today - timedelta(days=1 + rng.randrange(5))).isoformat(),
            "publicity_end": (self.today + timedelta(days=365)).isoformat(),
            "penalty": {
                "violation_type": vtype,
                "violation_facts": facts,
                "legal_basis": basis,
                "penalty_category": category,
                "penalty_content": "罚款人民币伍仟元",
                "fine_amount": "0.5",
                "authority": "郑州市基准测试局",
            },
        }

    def items(self, start: int, count: int) -> list[dict]:
        return [self.item(n) for n in range(start, start + count)]


UPLOAD_START = 1_000_000
_KIND = {"legal": "法人及非法人组织", "natural": "自然人"}


def write_workbook(path: Path, maker: Maker, start: int, rows: int) -> int:
    """The penalty template's header and ``rows`` filled rows, written streaming (openpyxl write_only)."""
    from openpyxl import Workbook

    from portal.ingest.columns import COLUMNS, SHEET_TITLES

    columns = COLUMNS["penalty"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLES["penalty"])
    ws.append([c.header for c in columns])
    for n in range(start, start + rows):
        item = maker.item(n)
        ws.append([_cell(c.path, item) for c in columns])
    wb.save(path)
    return path.stat().st_size


def _cell(path: str | None, item: dict) -> object:
    if path is None:
        return None
    if path == "action":
        return "新增"
    if path == "subject.kind":
        return _KIND[item["subject"]["kind"]]
    head, _, tail = path.partition(".")
    value = item.get(head) if not tail else (item.get(head) or {}).get(tail)
    if path in ("decision_date", "publicity_end") and value:
        return date.fromisoformat(value)
    if path == "penalty.fine_amount" and value:
        return float(value)
    return value


def main(argv: list[str]) -> None:
    """``python -m bench.ingest_data OUT.xlsx SETUP.json SEED TAG ROWS`` (a child process with the
    engine's environment: the template's columns come with the portal's tables)."""
    import json

    from portal.lib.dates import today_cn

    out, setup, seed, tag, rows = argv
    existing = [tuple(s) for s in json.loads(Path(setup).read_text())["existing"]]
    # Numbers from 1 000 000: new persons other than the pushed ones (ID numbers follow the number).
    write_workbook(Path(out), Maker(existing, int(seed), tag, today_cn()), UPLOAD_START, int(rows))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
