"""Deterministic, streaming generation of the demo rows (pure: no database, no settings).

``DemoGenerator(seed, secret, agencies, bases).chunk(n)`` returns the next `n` subjects and all
their rows as lines of PostgreSQL COPY text (tab-separated, ``\\N`` for NULL), per table. One
``random.Random(seed)`` stream drives everything in subject order, so the output does not depend
on the chunk size. Generated text never contains a tab, newline or backslash (no escaping needed).

Speed matters (10M records): templates are compiled once, weighted choices use bisect over
precomputed tables, dates are list look-ups, rows are single f-strings, and the only per-subject
object is reused.
"""

from __future__ import annotations

import math
import random

from portal.demo.calendar_tables import CN, END, ISO, START, TODAY, TS, YEAR, YM
from portal.demo.catalog_general import GENERAL
from portal.demo.catalog_licenses import LICENSES
from portal.demo.catalog_penalties import PENALTIES
from portal.demo.catalog_persons import LISTS, PERSONS
from portal.demo.columns import NULL
from portal.demo.details import DetailMixin
from portal.demo.names import NameGen, Weighted
from portal.demo.places import CITY_DEPTS, DISTRICT_DEPT_SUFFIX, DISTRICTS
from portal.demo.subjects import Ctx, SubjectMixin
from portal.records.categories import CATEGORIES
from portal.subjects.identity import digester, sealer

__all__ = ["DemoGenerator", "TABLES"]

TABLES = ("subject", "credit_record", "license_detail", "penalty_detail", "record_change", "list_entry")
_DEPT = {d.key: d for d in CITY_DEPTS}
_DEPT_SHORT = {"scjg": "市监", "sthj": "环", "sw": "税", "rs": "人社", "yj": "应急", "jt": "交", "cg": "城管",
               "wj": "卫", "jy": "教", "wl": "文广旅", "mz": "民", "cj": "建", "zrzy": "自然资源",
               "ga": "公"}  # fmt: skip
# Share of each template group among a subject's records besides registration / identity.
_GROUP_SHARE = {"L": {"license": 0.26, "penalty": 0.12, "general": 0.62},
                "N": {"license": 0.22, "penalty": 0.22, "general": 0.56}}  # fmt: skip
# Mean number of those records per subject type (overall about 6 records per subject).
_EXTRA_MEAN = {"enterprise": 7.1, "individual_business": 3.6, "social_org": 3.0, "public_institution": 3.0,
               "natural": 1.7}  # fmt: skip
_LIST_P = {"L": 0.035, "N": 0.025}
_REGISTRATION = {"enterprise": ("scjg", "企业设立登记信息"),
                 "individual_business": ("scjg", "个体工商户注册登记信息"),
                 "social_org": ("mz", "社会组织成立登记信息"),
                 "public_institution": ("bb", "事业单位法人登记信息")}  # fmt: skip


class _T:
    """A compiled template (one per catalog entry)."""

    __slots__ = ("group", "category", "rtype", "polarity", "classes", "dept", "spec", "title", "content", "doc",
                 "act", "options")  # fmt: skip


def _classes(text: str) -> Weighted:
    return Weighted(zip("ABC", (float(x) for x in text.split(":"))))


def _compile(spec: dict, group: str) -> _T:
    t = _T()
    t.group, t.spec, t.dept, t.options = group, spec, spec["dept"], None
    natural = spec["who"] == "N"
    if group == "license":
        t.category, t.rtype, t.classes = ("person_license" if natural else "license"), "license", _classes("8:2:0")
    elif group == "penalty":
        t.category, t.rtype, t.classes = ("person_penalty" if natural else "penalty"), "penalty", _classes("85:15:0")
        t.options = Weighted(((o[0], o[2], o[3]), o[1]) for o in spec["options"])
    else:
        t.category, t.rtype, t.classes = spec["category"], "general", _classes(spec["classes"])
        t.title, t.content, t.doc, t.act = spec["title"], spec["content"], spec["doc"], spec["act"]
    t.polarity = spec.get("polarity") or CATEGORIES[t.category].polarity
    return t


class DemoGenerator(SubjectMixin, DetailMixin):
    def __init__(self, seed: int, secret: str, agencies: dict[str, tuple[int, str]],
                 bases: dict[str, int] | None = None):  # fmt: skip
        """`agencies`: agency code -> (id, name) as stored; `bases`: the highest id already used per table."""
        self.rnd = random.Random(seed).random
        self.names = NameGen(self.rnd)
        self.digest, self.seal = digester(secret), sealer(secret)
        bases = bases or {}
        self.n_subject, self.n_record = bases.get("subject", 0), bases.get("credit_record", 0)
        self.n_license, self.n_penalty = bases.get("license_detail", 0), bases.get("penalty_detail", 0)
        self.n_change, self.n_list = bases.get("record_change", 0), bases.get("list_entry", 0)
        self.index = 0  # subjects generated so far
        self._used_names: set[str] = set()
        self._used_ids: set[str] = set()
        self.dept_abbr = self.court_code = self.last_case = ""
        self._levels = self._make_levels(agencies)
        self._templates = (
            [_compile(s, "license") for s in LICENSES]
            + [_compile(s, "penalty") for s in PENALTIES]
            + [_compile(s, "general") for s in GENERAL + PERSONS]
        )
        self._pickers: dict[tuple[str, str], Weighted] = {}
        self._lists = {who: Weighted((row, row[4]) for row in LISTS if row[3] == who) for who in "LN"}

    # ---- helpers used by the catalog lambdas (g.*) --------------------------------------------
    def p(self, seq):
        return seq[int(self.rnd() * len(seq))]

    def n(self, lo: int, hi: int) -> int:
        return lo + int(self.rnd() * (hi - lo + 1))

    @staticmethod
    def cn(d: int) -> str:
        return CN[d]

    @staticmethod
    def ym(d: int) -> str:
        return YM[d]

    @staticmethod
    def y(d: int) -> int:
        return YEAR[d]

    @staticmethod
    def iso(d: int) -> str:
        return ISO[d]

    def digits(self, k: int) -> str:
        return f"{int(self.rnd() * 10**k):0{k}d}"

    def code5(self) -> str:
        return self.p("ABCDEFGHJKLMNPQRSTUVWXYZ") + self.digits(4)

    def zihao(self) -> str:
        return self.names.zihao()

    def person(self) -> str:
        return self.names.person()

    def case(self, d: int, kind: str, city: bool = False) -> str:
        """A court case number (案号) of the current court; also kept as the record's document number."""
        self.last_case = f"（{YEAR[d]}）{'豫01' if city else self.court_code}{kind}{int(self.rnd() * 9000) + 1}号"
        return self.last_case

    # ---- structure ---------------------------------------------------------------------------
    @staticmethod
    def _make_levels(agencies: dict[str, tuple[int, str]]):
        """Per (district key, dept key): the city-level and the district-level choice (or None), each
        (provider id as text, authority, document abbreviation, court code, 数据来源单位)."""
        levels = {}
        for d in DISTRICTS:
            gov_id, gov_name = agencies[d.gov_code]
            for key, dept in _DEPT.items():
                dept_id, dept_name = agencies[dept.code]
                city = (str(dept_id), dept_name, dept.abbr, "豫01", dept_name)
                local = None
                if key == "fy":
                    local = (str(dept_id), d.court, d.abbr, d.court_code, dept_name)
                elif key in DISTRICT_DEPT_SUFFIX:
                    authority = d.dept_name(key, dept_name)
                    local = (str(gov_id), authority, d.abbr + _DEPT_SHORT[key], d.court_code, gov_name)
                levels[d.key, key] = (city, local)
        return levels

    def _picker(self, s: Ctx) -> Weighted:
        """Templates that fit the subject's type and sector, weighted by group share and own weight."""
        key = (s.type, s.sector)
        picker = self._pickers.get(key)
        if picker is None:
            who = "N" if s.type == "natural" else "L"
            chosen = []
            for t in self._templates:
                tokens = t.spec["sectors"].split()
                if t.spec["who"] == who and s.sector in tokens and ("!ent" not in tokens or s.type == "enterprise"):
                    chosen.append(t)
            pairs = []
            for group, share in _GROUP_SHARE[who].items():
                members = [t for t in chosen if t.group == group]
                total = sum(t.spec["weight"] for t in members)
                pairs += [(t, share * t.spec["weight"] / total) for t in members]
            picker = self._pickers[key] = Weighted(pairs)
        return picker

    def _level(self, s: Ctx, dept: str, local_p: float = 0.6):
        """City or district level for a record of `dept` about `s` (sets the document abbreviation)."""
        city, local = self._levels[s.dist.key, dept]
        chosen = local if local is not None and self.rnd() < local_p else city
        self.dept_abbr, self.court_code = chosen[2], chosen[3]
        return chosen

    @property
    def next_ids(self) -> dict[str, int]:
        return {"subject": self.n_subject, "credit_record": self.n_record, "license_detail": self.n_license,
                "penalty_detail": self.n_penalty, "record_change": self.n_change,
                "list_entry": self.n_list}  # fmt: skip

    # ---- generation ----------------------------------------------------------------------------
    def chunk(self, count: int) -> dict[str, list[str]]:
        """The next `count` subjects with their records, details, changes and list entries."""
        subjects: list[str] = []
        self.out_record, self.out_license, self.out_penalty = [], [], []
        self.out_change, self.out_list = [], []
        rnd, log = self.rnd, math.log
        s = Ctx()
        for _ in range(count):
            self.n_subject += 1
            s.id = self.n_subject
            s.sid = str(s.id)
            first = self.index
            self.index += 1
            # The first subject is an enterprise and the second a natural person: the demo accounts.
            if first == 0 or (first > 1 and rnd() < 0.8):
                subjects.append(self.legal_subject(s, "enterprise" if first == 0 else None))
                self._registration(s)
            else:
                subjects.append(self.natural_subject(s))
                self._identity(s)
            lo = max(START, s.est)
            extra = 12 if first < 2 else int(-(_EXTRA_MEAN[s.type] + 0.5) * log(1.0 - rnd()))
            picker = self._picker(s)
            for i in range(extra):
                t = picker.pick(rnd())
                if first < 2 and i < 2:  # the demo accounts' subjects get both 双公示 types
                    t = next(x for x in picker.items if x.group == ("license", "penalty")[i])
                self._record(s, t, lo + int(rnd() * (END - lo + 1)))
            if first < 2 or rnd() < _LIST_P["N" if s.type == "natural" else "L"]:
                self._list_entry(s, lo)
        return {"subject": subjects, "credit_record": self.out_record, "license_detail": self.out_license,
                "penalty_detail": self.out_penalty, "record_change": self.out_change,
                "list_entry": self.out_list}  # fmt: skip

    def _registration(self, s: Ctx) -> None:
        dept, title = _REGISTRATION[s.type]
        provider = self._level(s, dept, 0.5)[0]
        content = (
            f"统一社会信用代码：{s.code}；名称：{s.name}；法定代表人（负责人、经营者）：{s.rep}；成立日期："
            f"{CN[s.est]}；住所：{s.addr}；登记状态：{s.status}。"
        )
        ts = TS[s.created]
        self.n_record += 1
        self.out_record.append(
            f"{self.n_record}\t{s.sid}\tgeneral\tregistration\tneutral\tA\t{provider}\t{title}\t{content}\t\t"
            f"{ISO[s.est]}\t{NULL}\t{NULL}\tin_force\t1\t{ts}\t{ts}"
        )

    def _identity(self, s: Ctx) -> None:
        provider = self._level(s, "ga", 0.0)[0]
        d = START + int(self.rnd() * (END - START))
        content = (
            f"姓名：{s.name}；性别：{'男' if s.male else '女'}；出生年月：{YM[s.est]}；公民身份号码：{s.code}；"
            f"户籍所在地：{s.dist.name}。"
        )  # the masked number only
        ts = TS[d + 1]
        self.n_record += 1
        self.out_record.append(
            f"{self.n_record}\t{s.sid}\tgeneral\tidentity\tneutral\tC\t{provider}\t身份信息\t{content}\t\t"
            f"{ISO[d]}\t{NULL}\t{NULL}\tin_force\t1\t{ts}\t{ts}"
        )

    def _record(self, s: Ctx, t: _T, d: int) -> None:
        rnd = self.rnd
        provider, authority, _, _, source = self._level(s, t.dept)
        cls = t.classes.pick(rnd())
        publicity_end = act_end = NULL
        self.n_record += 1
        rid = str(self.n_record)
        r = rnd()
        status = "in_force" if r >= 0.017 else "corrected" if r < 0.012 else "revoked"
        group = t.group
        if group == "license":
            title, content, doc = self._license(s, t, d, rid, authority, source, status)
        elif group == "penalty":
            title, content, doc, publicity_end = self._penalty(s, t, d, rid, authority, source)
            act_end = ISO[d - int(rnd() * 60)]  # the violation ended before the decision
        else:
            title, content = t.title, t.content(self, s, d)
            if t.doc == "case":
                doc = self.last_case
            elif t.doc == "doc":
                doc = f"{self.dept_abbr}〔{YEAR[d]}〕{int(rnd() * 3000) + 1}号"
            else:
                doc = ""
            act = t.act  # dishonesty info is provided for 5 years after the act ends
            if act == "before":
                act_end = ISO[d - int(rnd() * 90)]
            elif act == "after" or (act == "open" and rnd() < 0.45):
                act_end = ISO[min(d + 20 + int(rnd() * 500), TODAY - 1)]
        created = min(d + 1 + int(rnd() * 7), TODAY - 1)
        ts = updated = TS[created]
        version = "1"
        if status != "in_force":
            changed = min(created + 5 + int(rnd() * 90), TODAY - 1)
            version, updated = "2", TS[changed]
            self._change(rid, status, t, title, content, cls, d, changed, source)
        self.out_record.append(
            f"{rid}\t{s.sid}\t{t.rtype}\t{t.category}\t{t.polarity}\t{cls}\t{provider}\t{title}\t{content}\t{doc}\t"
            f"{ISO[d]}\t{publicity_end}\t{act_end}\t{status}\t{version}\t{ts}\t{updated}"
        )
