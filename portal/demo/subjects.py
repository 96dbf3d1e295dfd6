"""Subject rows: legal persons (USCC, registration details) and natural persons (ID number forms).

A mixin of the generator (portal.demo.generate.DemoGenerator): it draws through the generator's
``rnd`` and keeps the uniqueness sets. One ``Ctx`` object is reused for every subject.
"""

from __future__ import annotations

from datetime import date
from operator import mul

from portal.demo.calendar_tables import DATES, END, ISO, JAN1, PLATFORM, TS, YEAR, day
from portal.demo.catalog_subjects import (
    CAPITAL,
    NEW_SCOPE_END,
    OLD_SCOPE_END,
    PUBLIC_SCOPE,
    SCOPES,
    SOCIAL_SCOPE,
    STATUS,
)
from portal.demo.columns import NULL
from portal.demo.names import Weighted
from portal.demo.places import DISTRICTS, ID_REGIONS
from portal.lib.id_number import make as make_id_number
from portal.lib.masking import mask_id_number
from portal.lib.uscc import CHARSET
from portal.lib.uscc import make as make_uscc

__all__ = ["Ctx", "SubjectMixin"]

_LEGAL_TYPES = Weighted(
    (("enterprise", 62), ("individual_business", 33.5), ("social_org", 2.8), ("public_institution", 1.7))
)
_DISTRICTS = Weighted((d, d.weight) for d in DISTRICTS)
_DIST_BY_CODE = {d.code: d for d in DISTRICTS}
_ID_REGIONS = Weighted(ID_REGIONS)
_MA_START = day(date(2015, 10, 1))
_NEW_SCOPE = day(date(2021, 3, 1))
_ORG_W = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VAL = {c: (int(c) if c.isdigit() else ord(c) - 55) for c in CHARSET}
_LETTERS = CHARSET  # 31 characters allowed in a USCC
_EST_FROM = {
    "enterprise": day(date(1992, 1, 1)),
    "individual_business": day(date(2003, 1, 1)),
    "social_org": day(date(1998, 1, 1)),
    "public_institution": day(date(1985, 1, 1)),
}
_EST_SKEW = {"enterprise": 1.7, "individual_business": 1.5, "social_org": 1.2, "public_institution": 0.8}
_BUILDINGS = ("大厦", "国际", "广场", "中心", "商务楼", "科技园")


class Ctx:
    """The subject being generated; read by the record templates (s.name, s.dist …)."""

    __slots__ = (
        "id",
        "sid",
        "kind",
        "type",
        "name",
        "code",
        "rep",
        "sector",
        "ind",
        "dist",
        "est",
        "addr",
        "male",
        "status",
        "created",
    )


def _org_code9(stem8: str) -> str:
    """GB 11714 organisation code: 8 characters plus the MOD 11 check character."""
    c = 11 - sum(map(mul, map(_ORG_VAL.__getitem__, stem8), _ORG_W)) % 11
    return stem8 + ("X" if c == 10 else "0" if c == 11 else str(c))


def _base31(x: int, width: int) -> str:
    out = []
    for _ in range(width):
        x, r = divmod(x, 31)
        out.append(_LETTERS[r])
    return "".join(reversed(out))


class SubjectMixin:
    """Needs from the host: rnd, names (NameGen), secret digest/seal functions, p(), n()."""

    def _organisation_part(self, subject_id: int, established: int, prefix: str) -> str:
        """9-character 主体标识码 unique per subject id: a bijection of the id, so no set is needed."""
        if established >= _MA_START:  # new-style codes: MA (市场监管) / MJ (民政) / MB (编办)
            return _org_code9(prefix + _base31((subject_id * 387_420_489 + 7_777_777) % 887_503_681, 6))
        return _org_code9(f"{(subject_id * 73_939_133 + 30_000_000) % 100_000_000:08d}")

    def _established(self, stype: str) -> int:
        lo = _EST_FROM[stype]
        return END - 20 - int((END - 20 - lo) * self.rnd() ** _EST_SKEW[stype])

    def _address(self, dist, individual: bool) -> str:
        rnd, p = self.rnd, self.p
        road = p(dist.roads)
        no = int(rnd() * 300) + 1
        r = rnd()
        prefix = dist.addr
        if dist.key == "zdxq" and rnd() < 0.25:
            prefix = "河南自贸试验区郑州片区（郑东）"
        elif dist.key == "jkq" and rnd() < 0.25:
            prefix = "河南自贸试验区郑州片区（经开）"
        if individual:
            if r < 0.5:
                return f"{prefix}{road}{no}号"
            return f"{prefix}{road}{no}号院{int(rnd() * 20) + 1}号楼1层{int(rnd() * 30) + 101}号商铺"
        if r < 0.25:
            return f"{prefix}{road}{no}号"
        floor = int(rnd() * 30) + 1
        room = floor * 100 + int(rnd() * 20) + 1
        if r < 0.55:
            return f"{prefix}{road}{no}号{self.names.zihao()}{p(_BUILDINGS)}{floor}层{room}号"
        if r < 0.8:
            return f"{prefix}{road}{no}号院{int(rnd() * 12) + 1}号楼{int(rnd() * 3) + 1}单元{room}号"
        return f"{prefix}{road}与{p(dist.roads)}交叉口{self.names.zihao()}广场{int(rnd() * 8) + 1}号楼{room}室"

    def _scope(self, sector: str, established: int) -> str:
        rnd = self.rnd
        general, permitted = SCOPES.get(sector, SCOPES["trade"])
        k = 2 + int(rnd() * 4)
        start = int(rnd() * len(general))
        items = [general[(start + i) % len(general)] for i in range(k)]
        if established >= _NEW_SCOPE:
            text = "一般项目：" + "；".join(items) + NEW_SCOPE_END
            if rnd() < 0.4:
                text = (
                    f"许可项目：{self.p(permitted)}（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关"
                    f"部门批准文件或许可证件为准）" + text
                )
            return text
        if rnd() < 0.4:
            items.append(self.p(permitted))
        return "、".join(items) + "。" + OLD_SCOPE_END

    def legal_subject(self, s: Ctx, stype: str | None = None) -> str:
        """Fill `s` with a new legal person and return its ``subject`` row (COPY text line)."""
        rnd, names = self.rnd, self.names
        stype = stype or _LEGAL_TYPES.pick(rnd())
        dist = _DISTRICTS.pick(rnd())
        est = self._established(stype)
        rep = names.person(rnd() < 0.72, YEAR[est] - 25 - int(rnd() * 30))
        used = self._used_names
        for _ in range(50):
            if stype == "enterprise":
                name, sector, ind, head = names.enterprise(dist)
            elif stype == "individual_business":
                name, sector, ind = names.shop(dist, rep)
                head = "92"
            elif stype == "social_org":
                name, head = names.social_org(dist)
                sector, ind = "social", ""
            else:
                name, sector, ind, head = names.public_institution(dist), "public", "", "12"
            if name not in used:
                break
        used.add(name)
        if stype == "enterprise":
            capital = CAPITAL["stock" if "股份" in name else stype].pick(rnd())
            city = rnd() >= 0.75  # registered by the city bureau: the city's region code
            authority = "郑州市市场监督管理局" if city else dist.dept_name("scjg", "")
            region = "410100" if city else dist.code
        elif stype == "individual_business":
            capital = CAPITAL[stype].pick(rnd())
            authority, region = dist.dept_name("scjg", ""), dist.code
        elif stype == "social_org":
            capital = CAPITAL[stype].pick(rnd())
            city = rnd() < 0.4
            authority = "郑州市民政局" if city else dist.dept_name("mz", "")
            region = "410100" if city else dist.code
        else:
            capital = CAPITAL[stype].pick(rnd())
            authority, region = "郑州市事业单位登记管理局", "410100"
        prefix = {"5": "MJ", "1": "MB"}.get(head[0], "MA")
        code = make_uscc(head + region + self._organisation_part(s.id, est, prefix))
        if stype == "social_org":
            scope = self.p(SOCIAL_SCOPE)
        elif stype == "public_institution":
            scope = self.p(PUBLIC_SCOPE)
        else:
            scope = self._scope(sector, est)
        status = STATUS[stype].pick(rnd())
        addr = self._address(dist, stype == "individual_business")
        s.created = max(est, PLATFORM) + int(rnd() * 20)
        ts = TS[s.created]
        s.kind, s.type, s.name, s.code, s.rep, s.sector, s.ind = "legal", stype, name, code, rep, sector, ind
        s.dist, s.est, s.addr, s.male, s.status = dist, est, addr, None, status
        return (
            f"{s.sid}\tlegal\t{stype}\t{name}\t{code}\t{NULL}\t{NULL}\t{NULL}\t{rep}\t{authority}\t{ISO[est]}\t"
            f"{capital}\t{addr}\t{scope}\t{status}\t{ts}\t{ts}"
        )

    def natural_subject(self, s: Ctx) -> str:
        """Fill `s` with a new natural person and return its ``subject`` row (COPY text line).

        The raw number appears only inside the sealed token (R-17, DESIGN rule 4).
        """
        rnd = self.rnd
        male = rnd() < 0.56
        year = 1950 + int((rnd() + rnd() + rnd()) / 3 * 57)
        region = _ID_REGIONS.pick(rnd())
        birth = JAN1[year] + int(rnd() * 365)
        used = self._used_ids
        while True:
            seq = int(rnd() * 500) * 2 + (1 if male else 0)  # odd sequence code: male (GB 11643)
            body = f"{region}{ISO[birth].replace('-', '')}{seq:03d}"
            if body not in used:
                break
            birth += 1
        used.add(body)
        number = make_id_number(region, DATES[birth], f"{seq:03d}")
        name = self.names.person(male, year)
        masked = mask_id_number(number)
        dist = _DIST_BY_CODE.get(region) or _DIST_BY_CODE["410105"]
        s.created = PLATFORM + int(rnd() * (END - PLATFORM))
        ts = TS[s.created]
        s.kind, s.type, s.name, s.code, s.rep, s.sector, s.ind = "natural", "natural", name, masked, "", "person", ""
        s.dist, s.est, s.addr, s.male, s.status = dist, birth, "", male, ""
        return (
            f"{s.sid}\tnatural\tnatural\t{name}\t{NULL}\t{self.digest(number)}\t{masked}\t{self.seal(number)}"
            f"\t\t\t{NULL}\t{NULL}\t\t\t\t{ts}\t{ts}"
        )
