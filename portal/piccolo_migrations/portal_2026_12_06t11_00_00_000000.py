# ruff: noqa: E501 -- a frozen seed table, one category per line
"""The shared indicator catalogue (信用信息共享指标目录, Z80 第二十六条): catalogue_entry seeded with one
row per record category, and the append-only catalogue_change history.

Frozen SQL and frozen values for both engines (no live code imported): the seed is the category list
of R-07 / R-08 as it stood when this migration was written.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "catalogue: shared indicator catalogue and its change history"

# (code, label, subject_kind, default_class, polarity, publicity_months, natural_class_a, masked_items, rule)
# Classes: A unless the content is a trade secret or personal data.
# Publicity: 行政处罚 at most 3 years; other negative info 5 years; none for the rest.
SEED = [
    ("registration", "登记注册基本信息（统一社会信用代码及各类登记代码）", "legal", "A", "neutral", None, False, "", "R-07"),
    ("representative", "法定代表人及分支机构信息", "legal", "A", "neutral", None, False, "", "R-07"),
    ("ip_brand", "产品、品牌、商标、专利信息", "legal", "A", "positive", None, False, "", "R-07"),
    ("license", "行政许可及资质认证信息", "legal", "A", "neutral", None, False, "", "R-07"),
    # business and financial status may be trade secrets: shared with agencies, not published.
    ("operation", "经营与财务状况信息", "legal", "B", "neutral", None, False, "", "R-07"),
    ("basic_other", "其他基本信息", "legal", "A", "neutral", None, False, "", "R-07"),
    ("judicial", "司法判决、裁定、调解及执行信息", "legal", "A", "negative", 60, False, "", "R-07"),
    ("tax_violation", "偷税、欠税、骗取出口退税、抗税信息", "legal", "A", "negative", 60, False, "", "R-07"),
    ("labour", "劳动用工、工资支付及社会保险缴纳信息", "legal", "A", "negative", 60, False, "", "R-07"),
    ("accident", "重大产品质量、安全生产、环境污染事故信息", "legal", "A", "negative", 60, False, "", "R-07"),
    ("fee_arrears", "拖欠行政事业性收费、公用事业费、政府性基金信息", "legal", "A", "negative", 60, False, "", "R-07"),
    ("penalty", "行政处罚、行政强制及其他违法信息", "legal", "A", "negative", 36, False, "", "R-07"),
    ("executive_ban", "董事、监事、高级管理人员犯罪或行业禁入信息", "legal", "A", "negative", 60, False, "", "R-07"),
    ("bankruptcy", "破产企业责任信息", "legal", "A", "negative", 60, False, "", "R-07"),
    ("honour", "市级以上政府或省级以上部门表彰奖励信息", "legal", "A", "positive", None, False, "", "R-07"),
    ("commitment_breach", "信用承诺履行情况（违诺信息）", "legal", "A", "negative", 60, False, "", "R-P1"),
    ("other_negative", "其他失信信息", "legal", "A", "negative", 60, False, "", "R-07"),
    ("other_positive", "其他守信信息", "legal", "A", "positive", None, False, "", "R-07"),
    # a person's identity data (ID number, employment, education, marriage) is never published.
    ("identity", "身份信息（姓名、公民身份号码、就业、学历、婚姻状况）", "natural", "B", "neutral", None, False, "", "R-08"),
    # a licence is published so anyone can check who holds it; it carries no private facts
    # (the ID number is always masked).
    ("person_license", "职业资格及执业许可信息", "natural", "A", "neutral", None, True, "", "R-08"),
    # 双公示 publishes the decision (type, basis, authority, 文号, date) to hold the authority to
    # account; the facts, the measure taken against the person (e.g. 行政拘留) and any licence number
    # are the person's private affairs, and the full name would make a searchable register of
    # individuals: name shown as 张*, facts, measure, licence action and free text masked.
    ("person_penalty", "行政处罚信息", "natural", "A", "negative", 36, True,
     "name,content,violation_facts,penalty_content,license_action", "R-08"),
    # judgments about a person are not published here; court 失信被执行人 lists go through the
    # list procedure instead.
    ("person_judicial", "司法判决及失信被执行信息", "natural", "B", "negative", 60, False, "", "R-08"),
    # 提示信息 are formed for agencies exercising their powers, not for publication.
    ("person_negative", "其他失信提示信息", "natural", "B", "negative", 60, False, "", "R-08"),
    # An honour is published by the awarding body with the name: nothing private to mask.
    ("person_positive", "表彰奖励等守信提示信息", "natural", "A", "positive", None, True, "", "R-08"),
]  # fmt: skip


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _statements(pk: str, bool_type: str, now: str) -> list[str]:
    fk = 'REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'
    rows = ", ".join("(" + ", ".join(_literal(v) for v in row) + f", 1, {now})" for row in SEED)
    return [
        f'CREATE TABLE "catalogue_entry" ("id" {pk}, "code" VARCHAR(32) UNIQUE NOT NULL, '
        '"label" VARCHAR(100) NOT NULL, "subject_kind" VARCHAR(8) NOT NULL, "default_class" VARCHAR(1) NOT NULL, '
        '"polarity" VARCHAR(8) NOT NULL, "publicity_months" INTEGER DEFAULT NULL, '
        f'"natural_class_a" {bool_type} NOT NULL DEFAULT FALSE, "masked_items" VARCHAR(200) NOT NULL DEFAULT \'\', '
        f'"active" {bool_type} NOT NULL DEFAULT TRUE, "rule" VARCHAR(8) NOT NULL DEFAULT \'\', '
        '"version" INTEGER NOT NULL DEFAULT 1, "updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'INSERT INTO "catalogue_entry" ("code", "label", "subject_kind", "default_class", "polarity", '
        '"publicity_months", "natural_class_a", "masked_items", "rule", "version", "updated_at") VALUES ' + rows,
        f'CREATE TABLE "catalogue_change" ("id" {pk}, "code" VARCHAR(32) NOT NULL, "version" INTEGER NOT NULL, '
        '"changed_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
        f'"actor" INTEGER DEFAULT NULL {fk}, "actor_name" VARCHAR(64) NOT NULL DEFAULT \'\', '
        '"reason" VARCHAR(500) NOT NULL, "before" TEXT NOT NULL, "after" TEXT NOT NULL)',
        'CREATE INDEX "catalogue_change_code" ON "catalogue_change" ("code", "id")',
    ]


SQLITE = [
    *_statements("INTEGER PRIMARY KEY NOT NULL", "BOOLEAN", "current_timestamp"),
    # Who changed the catalogue, when and why is not rewritten.
    'CREATE TRIGGER "catalogue_change_no_update" BEFORE UPDATE ON "catalogue_change" '
    "BEGIN SELECT RAISE(ABORT, 'catalogue_change is append-only'); END",
    'CREATE TRIGGER "catalogue_change_no_delete" BEFORE DELETE ON "catalogue_change" '
    "BEGIN SELECT RAISE(ABORT, 'catalogue_change is append-only'); END",
]

POSTGRES = [
    *_statements("SERIAL PRIMARY KEY NOT NULL", "BOOLEAN", "current_timestamp"),
    'CREATE FUNCTION "catalogue_change_append_only"() RETURNS trigger LANGUAGE plpgsql AS '
    "$$ BEGIN RAISE EXCEPTION 'catalogue_change is append-only'; END $$",
    'CREATE TRIGGER "catalogue_change_no_change" BEFORE UPDATE OR DELETE ON "catalogue_change" '
    'FOR EACH ROW EXECUTE FUNCTION "catalogue_change_append_only"()',
    'CREATE TRIGGER "catalogue_change_no_truncate" BEFORE TRUNCATE ON "catalogue_change" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "catalogue_change_append_only"()',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
