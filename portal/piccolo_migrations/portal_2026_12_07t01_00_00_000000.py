"""信用承诺 (R-P1): commitment_text (standard texts in versions, seeded with one per domain of
Z105 第七条) and commitment (signed commitments and their breaches). Frozen SQL for both engines."""

import hashlib

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "products: commitment_text, commitment"

_COMMON = (
    "一、信用状况。本单位（本人）严格遵守国家法律、法规和规章，全面履行应尽的责任和义务，"
    "信用状况良好，未被列入失信联合惩戒对象名单，不存在尚未履行完毕的严重失信行为。\n"
    "二、材料真实。本单位（本人）就本事项提交的全部申请材料真实、合法、有效，"
    "不存在虚假记载、误导性陈述或者重大遗漏，并对材料的真实性负责。\n"
    "三、违诺责任。本单位（本人）接受行业行政主管部门的监督管理；如有违背承诺约定的失信行为，"
    "自愿承担违背承诺的责任，接受受理部门依法作出的处理，并依法承担相应的法律责任。\n"
    "四、同意公开。本单位（本人）同意将本承诺书在“信用郑州”网站公开；违背承诺的，"
    "同意受理部门将违诺信息录入公共信用信息系统，作为失信信息记录并依法公开。"
)
_INTRO = (
    "依据郑州市使用信用产品实施办法第五条至第七条，本单位（本人）根据受理部门的要求和诚实信用原则，"
    "在办理{scope}相关事项时，对自身信用状况、申请材料的真实性以及违背承诺的责任作出如下承诺：\n"
)
SEED = (
    ("public_resources", "公共资源分配、财政性资金、国有产权交易及融资项目信用承诺书",
     "政府公共资源分配、财政性资金、国有产权交易、对外借款所筹集资金等融资项目"),
    ("procurement", "政府采购及招标投标信用承诺书",
     "政府和社会资本合作、招商引资、政府采购公开招标以及国有资金建设项目和货物招投标"),
    ("supervision", "行政审批及市场准入信用承诺书", "事中事后监管、行政审批、资质审核、定期检验、市场准入"),
    ("awards", "评优评先信用承诺书", "表彰奖励、荣誉授予、职称评定等评优评先"),
    ("qualification", "资质认定信用承诺书", "绩效评价、资质评测、备案管理、许可管理等资质认定"),
    ("other", "信用承诺书（通用）", "其他行政管理活动"),
)  # fmt: skip


def _literal(value) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _seed_rows() -> str:
    rows = []
    for domain, title, scope in SEED:
        body = _INTRO.format(scope=scope) + _COMMON
        digest = hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()
        values = (domain, 1, title, body, digest)
        rows.append("(" + ", ".join(_literal(v) for v in values) + ", TRUE, current_timestamp)")
    return ", ".join(rows)


def _fk(table: str) -> str:
    return f'REFERENCES "{table}" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'


def _statements(pk: str) -> list[str]:
    return [
        f'CREATE TABLE "commitment_text" ("id" {pk}, "domain" VARCHAR(32) NOT NULL, '
        '"version" INTEGER NOT NULL, "title" VARCHAR(200) NOT NULL, "body" TEXT NOT NULL, '
        '"text_sha256" VARCHAR(64) NOT NULL, "is_current" BOOLEAN NOT NULL DEFAULT FALSE, '
        "\"note\" VARCHAR(500) NOT NULL DEFAULT '', "
        f'"created_by" INTEGER DEFAULT NULL {_fk("account")}, "created_at" TIMESTAMPTZ NOT NULL)',
        'CREATE UNIQUE INDEX "commitment_text_version" ON "commitment_text" ("domain", "version")',
        'INSERT INTO "commitment_text" ("domain", "version", "title", "body", "text_sha256", "is_current", '
        '"created_at") VALUES ' + _seed_rows(),
        f'CREATE TABLE "commitment" ("id" {pk}, "number" VARCHAR(24) UNIQUE NOT NULL, '
        f'"subject" INTEGER NOT NULL {_fk("subject")}, "text" INTEGER NOT NULL {_fk("commitment_text")}, '
        '"domain" VARCHAR(32) NOT NULL, "text_version" INTEGER NOT NULL, "text_sha256" VARCHAR(64) NOT NULL, '
        '"matter" VARCHAR(200) NOT NULL, "case_no" VARCHAR(64) NOT NULL DEFAULT \'\', '
        f'"agency" INTEGER NOT NULL {_fk("agency")}, "signed_by" INTEGER NOT NULL {_fk("account")}, '
        '"signer_name" VARCHAR(200) NOT NULL, "signed_at" TIMESTAMPTZ NOT NULL, "signed_on" DATE NOT NULL, '
        '"valid_until" DATE DEFAULT NULL, "form_token" VARCHAR(64) UNIQUE NOT NULL, '
        '"status" VARCHAR(16) NOT NULL DEFAULT \'signed\', "breached_on" DATE DEFAULT NULL, '
        "\"breach_facts\" TEXT NOT NULL DEFAULT '', \"breach_basis\" TEXT NOT NULL DEFAULT '', "
        f'"breach_by" INTEGER DEFAULT NULL {_fk("account")}, '
        f'"breach_record" INTEGER DEFAULT NULL {_fk("credit_record")})',
        'CREATE INDEX "commitment_subject" ON "commitment" ("subject", "signed_on")',
        'CREATE INDEX "commitment_agency" ON "commitment" ("agency", "signed_on")',
    ]


SQLITE = _statements("INTEGER PRIMARY KEY NOT NULL")
POSTGRES = _statements("SERIAL PRIMARY KEY NOT NULL")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        for sql in POSTGRES if DB.engine_type == "postgres" else SQLITE:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
