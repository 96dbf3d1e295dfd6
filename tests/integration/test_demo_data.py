"""``python -m portal demo-data``: validity, coverage and determinism of the demo data set.

Runs the real command in a child process (Piccolo fixes its engine at import, STACK.md) against a
fresh data directory — and, when DATABASE_URL is set, a fresh PostgreSQL database on that server —
then reads the tables back with the raw driver. Rules: R-07/R-08 categories, R-15 classes, R-17
masking (no raw ID number outside the sealed column), R-20 old dishonesty records, 双公示 details.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from portal.accounts.passwords import verify_password
from portal.accounts.tables import Role
from portal.lib import id_number, uscc
from portal.lib.masking import mask_id_number
from portal.records.categories import CATEGORIES
from portal.subjects.identity import id_number_digest, open_id_number

ROOT = Path(__file__).resolve().parents[2]
SUBJECTS = 500
SECRET = "demo-data-test-secret-" + "x" * 30
TODAY = "2026-11-22"
FIVE_YEARS_AGO = "2021-11-22"
TABLES = (
    "agency",
    "subject",
    "credit_record",
    "license_detail",
    "penalty_detail",
    "record_change",
    "list_entry",
    "account",
)
PG_URL = os.environ.get("DATABASE_URL")


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


class Dataset:
    """One fresh database filled by the command; rows read back as plain dicts ordered by id."""

    def __init__(self, tmp: Path, seed: int):
        self.data_dir = tmp
        self.env = {**os.environ, "PORTAL_DATA_DIR": str(tmp), "PORTAL_SECRET_KEY": SECRET}
        self.database = None
        if PG_URL:
            self.database = f"demo_test_{uuid.uuid4().hex[:12]}"
            asyncio.run(_pg_admin(f'CREATE DATABASE "{self.database}"'))
            parts = urlsplit(PG_URL)
            self.env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + self.database))
        else:
            self.env.pop("DATABASE_URL", None)
        self.result = self.command("--seed", str(seed))
        self._cache: dict[str, list[dict]] = {}

    def command(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "portal", "demo-data", "--subjects", str(SUBJECTS), "--quiet", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=600,
        )

    def query(self, sql: str) -> list[dict]:
        if self.database:
            return asyncio.run(_pg_fetch(self.env["DATABASE_URL"], sql))
        with sqlite3.connect(self.data_dir / "portal.sqlite3") as conn:
            conn.row_factory = sqlite3.Row
            return [{k: _plain(r[k]) for k in r.keys()} for r in conn.execute(sql)]

    def rows(self, table: str) -> list[dict]:
        if table not in self._cache:
            self._cache[table] = self.query(f'SELECT * FROM "{table}" ORDER BY id')
        return self._cache[table]

    def drop(self) -> None:
        if self.database:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_fetch(url: str, sql: str) -> list[dict]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [{k: _plain(v) for k, v in r.items()} for r in await conn.fetch(sql)]
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    made = []

    def make(seed: int) -> Dataset:
        ds = Dataset(tmp_path_factory.mktemp("demo"), seed)
        made.append(ds)
        return ds

    yield make
    for ds in made:
        ds.drop()


@pytest.fixture(scope="module")
def data(datasets) -> Dataset:
    return datasets(7)


def _raw_numbers(data: Dataset) -> list[str]:
    return [open_id_number(s["id_number_sealed"], SECRET) for s in data.rows("subject") if s["kind"] == "natural"]


def test_scale_and_counts(data):
    subjects = data.rows("subject")
    assert len(subjects) == SUBJECTS
    records = data.rows("credit_record")
    assert 4 * SUBJECTS <= len(records) <= 8 * SUBJECTS  # about 6 per subject
    kinds = Counter(s["kind"] for s in subjects)
    assert 0.7 < kinds["legal"] / SUBJECTS < 0.9 and kinds["natural"] > 0
    assert len(data.rows("agency")) >= 30
    assert {r["subject"] for r in records} == {s["id"] for s in subjects}  # nobody without a record


def test_every_uscc_is_valid_and_structured(data):
    legal = [s for s in data.rows("subject") if s["kind"] == "legal"]
    codes = [s["uscc"] for s in legal]
    assert all(uscc.is_valid(c) for c in codes)
    assert len(set(codes)) == len(codes)
    heads = {
        "enterprise": {"91", "93"},
        "individual_business": {"92"},
        "social_org": {"51", "52", "53"},
        "public_institution": {"12"},
    }
    for s in legal:
        assert s["uscc"][:2] in heads[s["subject_type"]], s
        assert s["uscc"][2:6] == "4101"  # 登记管理机关行政区划码 of Zhengzhou
        assert s["id_number_digest"] is None and s["id_number_sealed"] is None
    for agency in data.rows("agency"):
        assert uscc.is_valid(agency["uscc"]) and agency["uscc"][0] == "1"  # 机构编制: 机关 11, 事业单位 12


def test_natural_persons_id_forms(data):
    naturals = [s for s in data.rows("subject") if s["kind"] == "natural"]
    today = dt.date(2026, 11, 22)
    for s in naturals:
        number = open_id_number(s["id_number_sealed"], SECRET)
        assert id_number.is_valid(number, today=today) and number.startswith("4101")
        assert s["id_number_digest"] == id_number_digest(number, SECRET)
        assert s["id_number_masked"] == mask_id_number(number)
        assert s["uscc"] is None and s["address"] == ""  # no address of persons
    assert len({s["id_number_digest"] for s in naturals}) == len(naturals)


def test_no_raw_id_number_stored_outside_the_sealed_column(data):
    numbers = _raw_numbers(data)
    pattern = re.compile("|".join(re.escape(n[:17]) for n in numbers))
    for table in TABLES:
        for row in data.rows(table):
            for column, value in row.items():
                if column != "id_number_sealed" and isinstance(value, str):
                    assert not pattern.search(value), (table, column, row["id"])
                    # The loaders rely on this (COPY text format without escaping).
                    assert not any(c in value for c in "\t\n\r\\"), (table, column, row["id"])


def test_records_cover_every_category_polarity_and_class(data):
    records = data.rows("credit_record")
    subjects = {s["id"]: s for s in data.rows("subject")}
    assert {r["category"] for r in records} == set(CATEGORIES)
    for r in records:  # categories match the subject kind (R-07 legal, R-08 natural)
        assert CATEGORIES[r["category"]].subject_kind == subjects[r["subject"]]["kind"]
    assert {r["polarity"] for r in records} == {"positive", "negative", "neutral"}
    classes = Counter(r["disclosure_class"] for r in records)
    assert set(classes) == {"A", "B", "C"}
    assert classes["A"] > classes["B"] > classes["C"]
    assert 0.5 < classes["A"] / len(records) < 0.75
    statuses = Counter(r["status"] for r in records)
    assert statuses["in_force"] > 0.9 * len(records) and statuses["corrected"] and statuses["revoked"]


def test_dual_publicity_details(data):
    records = {r["id"]: r for r in data.rows("credit_record")}
    subjects = {s["id"]: s for s in data.rows("subject")}
    licenses, penalties = data.rows("license_detail"), data.rows("penalty_detail")
    assert licenses and penalties
    assert {d["record"] for d in licenses} == {i for i, r in records.items() if r["record_type"] == "license"}
    assert {d["record"] for d in penalties} == {i for i, r in records.items() if r["record_type"] == "penalty"}
    masked = re.compile(r"^\d{4}\*{10}[\dX]{4}$")
    natural_details = 0
    for detail in licenses + penalties:
        subject = subjects[records[detail["record"]]["subject"]]
        assert detail["subject_name"] == subject["name"] and detail["authority"] and detail["data_source"]
        if subject["kind"] == "natural":
            natural_details += 1
            assert masked.match(detail["subject_code"]) and detail["subject_code"] == subject["id_number_masked"]
        else:
            assert detail["subject_code"] == subject["uscc"]
    assert natural_details
    assert {d["approval_category"] for d in licenses} <= {"普通", "特许", "认可", "核准", "登记", "其他"}
    assert any(d["fine_amount"] for d in penalties) and all(d["legal_basis"].startswith("《") for d in penalties)


def test_publication_rules_have_something_to_hide(data):
    records = data.rows("credit_record")
    penalties = [r for r in records if r["record_type"] == "penalty"]
    assert any(r["publicity_end"] < TODAY for r in penalties)  # 公示期 over
    assert any(r["publicity_end"] >= TODAY for r in penalties)
    negative = [r for r in records if r["polarity"] == "negative" and r["act_end_date"]]
    assert any(r["act_end_date"] < FIVE_YEARS_AGO for r in negative)  # no longer provided
    assert any(r["act_end_date"] >= FIVE_YEARS_AGO for r in negative)
    assert all(r["decision_date"] <= "2026-11-20" for r in records)


def test_record_history_for_changed_records(data):
    changes = {c["record"]: c for c in data.rows("record_change")}
    for r in data.rows("credit_record"):
        assert (r["version"] == 2) == (r["status"] in ("corrected", "revoked")) == (r["id"] in changes)


def test_red_and_black_lists(data):
    entries = data.rows("list_entry")
    names = {(e["list_type"], e["list_name"]) for e in entries}
    assert {t for t, _ in names} == {"red", "black"}
    assert ("black", "失信被执行人") in names
    assert any(e["expires_on"] and e["expires_on"] < TODAY for e in entries)  # some expired
    assert any(e["expires_on"] is None or e["expires_on"] >= TODAY for e in entries)


def test_accounts_for_every_role(data):
    accounts = {a["role"]: a for a in data.rows("account")}
    assert set(accounts) == set(Role.LABELS)
    subjects = {s["id"]: s for s in data.rows("subject")}
    assert subjects[accounts[Role.CITIZEN]["subject"]]["kind"] == "natural"
    assert subjects[accounts[Role.ENTERPRISE]["subject"]]["kind"] == "legal"
    assert accounts[Role.AGENCY]["agency"] in {a["id"] for a in data.rows("agency")}
    for account in accounts.values():
        assert account["password_hash"].startswith("$argon2id$")
        assert verify_password(account["password_hash"], f"Demo-{account['username']}-2026")[0]


def test_name_search_index_is_built(data):
    legal = [s for s in data.rows("subject") if s["kind"] == "legal"]
    if data.database:
        from portal.search.index import bigram_rows

        count = data.query("SELECT count(*) AS n FROM subject_bigram")[0]["n"]
        assert count == sum(1 for _ in bigram_rows((s["id"], s["name"]) for s in legal))
    else:
        assert data.query("SELECT count(*) AS n FROM subject_name_trgm_docsize")[0]["n"] == len(legal)
        assert data.query("SELECT count(*) AS n FROM subject_name_bigram_docsize")[0]["n"] == len(legal)
        name = legal[0]["name"]
        hits = data.query(f"SELECT rowid FROM subject_name_trgm WHERE subject_name_trgm MATCH '\"{name[2:5]}\"'")
        assert legal[0]["id"] in {h["rowid"] for h in hits}


def test_some_legal_persons_have_a_searchable_former_name(data):
    from portal.demo.former_names import FORMER_EVERY, former_name
    from portal.search.index import former_grams

    legal = [s for s in data.rows("subject") if s["kind"] == "legal" and s["id"] % FORMER_EVERY == 0]
    expected = {s["id"]: former_name(s["id"], s["name"]) for s in legal}
    expected = {i: (n, d.isoformat()) for i, (n, d) in ((i, f) for i, f in expected.items() if f)}
    assert expected  # 曾用名 in the demo
    got = {r["subject_id"]: (r["name"], str(r["changed_on"])[:10]) for r in data.rows("subject_former_name")}
    assert got == expected
    if data.database:
        count = data.query("SELECT count(*) AS n FROM subject_former_gram")[0]["n"]
        assert count == sum(len(former_grams([n])) for n, _ in expected.values())
    else:
        assert data.query("SELECT count(*) AS n FROM subject_former_gram_docsize")[0]["n"] == len(expected)


def test_if_empty_leaves_a_filled_database_alone(data):
    before = data.query("SELECT count(*) AS n FROM credit_record")[0]["n"]
    assert data.command("--seed", "99", "--if-empty").returncode == 0
    refused = data.command("--seed", "99", check=False)
    assert refused.returncode != 0 and "已有" in refused.stderr
    assert data.query("SELECT count(*) AS n FROM credit_record")[0]["n"] == before


def test_same_seed_gives_the_same_data(data, datasets):
    again = datasets(7)
    for table in TABLES:
        ours, theirs = data.rows(table), again.rows(table)
        assert len(ours) == len(theirs), table
        for a, b in zip(ours, theirs):
            a, b = dict(a), dict(b)
            if table == "subject" and a["kind"] == "natural":  # Fernet tokens carry a random IV
                assert open_id_number(a.pop("id_number_sealed"), SECRET) == open_id_number(
                    b.pop("id_number_sealed"), SECRET
                )
            if table == "account":  # Argon2 salts are random
                a.pop("password_hash"), b.pop("password_hash")
            assert a == b, (table, a.get("id"))
    other = datasets(8)
    assert [s["name"] for s in other.rows("subject")] != [s["name"] for s in data.rows("subject")]


def test_query_scenario_gives_every_role_something_to_see(data):
    """`make run` shows the query paths working: verified demo subjects, one effective and one
    pending authorisation, a class-C grant, and a hash-chained query log (issue 3)."""
    proofs = data.rows("identity_proof")
    # citizen and enterprise (counter), and the credit-service body's organisation (R-18: proven requesters)
    assert len(proofs) == 3 and {p["status"] for p in proofs} == {"verified"}
    assert sorted(p["method"] for p in proofs) == ["counter", "counter", "organisation"]
    assert sorted(a["status"] for a in data.rows("query_authorization")) == ["effective", "pending"]
    assert [g["category"] for g in data.rows("agency_grant")] == ["tax_violation"]
    # the grant carries its legal basis and the staff account, and its history row.
    (grant,) = data.rows("agency_grant")
    assert "郑政办〔2017〕80号" in grant["legal_basis"] and grant["granted_by"] is not None
    changes = data.rows("sharing_change")
    assert [(c["rule"], c["category"], c["action"]) for c in changes] == [("agency", "tax_violation", "grant")]
    assert data.rows("shareable_category") == []  # default: nothing shareable under authorisation
    if data.database:
        return  # the PostgreSQL audit store is shared by the run; its own tests cover it
    env = {k: v for k, v in data.env.items() if not k.startswith("AUDIT_")}
    status = subprocess.run(
        [sys.executable, "-m", "audit", "status"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    head = json.loads(status.stdout)
    assert head["head"]["seq"] >= 240 and head["last_checkpoint"]["seq"] == head["head"]["seq"]
    assert head["last_verification"]["ok"] is True


def test_the_demo_credit_service_agency_is_registered_with_thirdparty_as_its_member(data):
    """The account table says thirdparty works for a 备案信用服务机构: the registry says so too, so
    thirdparty may upload a credit report under the enterprise's authorisation (R-P3, R-18)."""
    (agency,) = data.rows("credit_service_agency")
    assert agency["name"] == "河南中诚信用管理有限公司" and agency["status"] == "active"
    assert uscc.is_valid(agency["uscc"]) and agency["filing_no"]
    accounts = {a["username"]: a for a in data.rows("account")}
    assert accounts["thirdparty"]["organisation"].startswith(agency["name"])
    (member,) = data.rows("credit_agency_member")
    assert (member["agency"], member["account"], member["linked_by"]) == (
        agency["id"],
        accounts["thirdparty"]["id"],
        "staff",
    )
    changes = data.rows("credit_agency_change")
    assert [(c["agency"], c["action"], c["actor"]) for c in changes] == [(agency["id"], "register", "staff")]
    usable = [
        a
        for a in data.rows("query_authorization")
        if a["status"] == "effective" and a["reason_code"] == "credit_report"
    ]
    assert [a["requester"] for a in usable] == [accounts["thirdparty"]["id"]]
