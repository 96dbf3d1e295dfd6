"""A chunk of reported items with a few statements instead of about ten per item (R-12: agencies
push and upload in bulk), with the outcomes of applying them one by one (``service``).

New records (``create`` of a record id not yet stored and sent once in the chunk) are settled in
memory first — scope, catalogue, subject by USCC or ID digest (one query each for the chunk),
name match — so every rejection is known before anything is written; then the chunk's new subjects,
their search-index rows, its records and their details are inserted with one statement each,
behind one savepoint. Should that still fail, the savepoint is rolled back and the same items take
the per-item path, so each is still whole or not at all. Everything else (corrections, revocations,
repeats, a record id sent twice) takes the per-item path in its place in the order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from portal.ingest import service as one
from portal.ingest.items import Item, ItemRejected, parse
from portal.lib.masking import mask_id_number
from portal.records.tables import CreditRecord, LicenseDetail, PenaltyDetail, RecordStatus, RecordType
from portal.search.index import index_subjects
from portal.subjects.identity import id_number_digest, seal_id_number
from portal.subjects.tables import Subject, SubjectKind, SubjectType

__all__ = ["apply_chunk"]

R = CreditRecord
S = Subject
_LOOKUP = 500
"""Values per IN (…) list: well under both engines' limits on bound parameters."""


@dataclass
class _New:
    """A create settled in memory: the subject it belongs to (stored, or registered by the chunk)."""

    pos: int
    index: int
    ref: str
    item: Item
    key: tuple[str, str]
    """("uscc", code) or ("digest", hex): the subject, found or to be registered."""


async def apply_chunk(
    reporter, entries: list[tuple[int, object]], today: date, transaction, known: dict | None = None
) -> list:
    known = known or {}
    parsed = [(index, raw, known[index] if index in known else parse(raw, today)) for index, raw in entries]
    sent = Counter(p.ref for _, _, p in parsed if isinstance(p, Item))
    creates = [p.ref for _, _, p in parsed if isinstance(p, Item) and p.action == "create" and sent[p.ref] == 1]
    stored = await _stored_refs(reporter.agency_id, creates)
    results: list = [None] * len(parsed)
    run: list[int] = []
    for pos, (index, raw, p) in enumerate(parsed):
        if isinstance(p, list):
            results[pos] = one.ItemResult(index, one.ref_of(raw), "rejected", errors=p)
        elif p.action == "create" and sent[p.ref] == 1 and p.ref not in stored:
            run.append(pos)
        else:
            # In its place: what the items before it did is in the database by now.
            await _run(reporter, parsed, run, results, transaction)
            run = []
            results[pos] = await one.apply_parsed(reporter, index, one.ref_of(raw), p, transaction)
    await _run(reporter, parsed, run, results, transaction)
    return results


async def _stored_refs(agency_id: int, refs: list[str]) -> set[str]:
    found: set[str] = set()
    postgres = R._meta.db.engine_type == "postgres"
    for i in range(0, len(refs), _LOOKUP):
        part = refs[i : i + _LOOKUP]
        if postgres:
            # One probe of the unique (provider, provider_ref) index per id. With ``provider_ref IN
            # (…)`` PostgreSQL's plan (statistics from before the upload: the agency's ids look few)
            # used only the index's first column and filtered every record of the agency, for every
            # chunk: the upload slowed down as it went (server log: 91 s of 146 s of statements).
            sql = (
                "SELECT c.provider_ref FROM unnest({}::varchar[]) AS r(ref) CROSS JOIN LATERAL ("
                "SELECT provider_ref FROM credit_record WHERE provider = {} AND provider_ref = r.ref"
                " AND provider_ref <> '' LIMIT 1) AS c"
            )
            rows = await _fetch(R, sql, [part, agency_id])
        else:
            # The predicate of the unique index spelled out, as ``one.WITH_REF`` (EXPLAIN QUERY PLAN).
            sql = "SELECT provider_ref FROM credit_record WHERE provider = {} AND provider_ref <> ''"
            sql += " AND provider_ref IN ("
            rows = await _fetch(R, sql + ", ".join(["{}"] * len(part)) + ")", [agency_id, *part])
        found |= {r["provider_ref"] for r in rows}
    return found


async def _run(reporter, parsed: list, run: list[int], results: list, transaction) -> None:
    """New records, in order: settled in memory, then written in bulk behind one savepoint."""
    if not run:
        return
    news: list[_New] = []
    for pos in run:
        index, raw, item = parsed[pos]
        try:
            one._in_scope(reporter, item.values["category"])
            await one._checked_by_catalogue(item.values["category"], item.values["disclosure_class"], item.subject_kind)
        except ItemRejected as exc:
            results[pos] = one.ItemResult(index, one.ref_of(raw), "rejected", errors=exc.errors)
            continue
        if item.values.get("publicity_end") is None and (entry := await one.catalogue.entry(item.values["category"])):
            item.values["publicity_end"] = one.catalogue.publicity_end(entry, item.values["decision_date"])
        key = (
            ("uscc", item.uscc)
            if item.subject_kind == SubjectKind.LEGAL
            else ("digest", id_number_digest(item.id_number))
        )
        news.append(_New(pos, index, one.ref_of(raw), item, key))
    subjects = await _subjects([n.key for n in news])
    accepted: list[_New] = []
    registered: dict[tuple[str, str], Item] = {}
    for n in news:
        try:
            _settle_subject(n, subjects, registered)
        except ItemRejected as exc:
            results[n.pos] = one.ItemResult(n.index, n.ref, "rejected", errors=exc.errors)
            continue
        accepted.append(n)
    if not accepted:
        return
    savepoint = await transaction.savepoint()
    try:
        await _write(reporter, accepted, subjects, registered)
    except Exception:
        # What only the database can refuse (a concurrent writer, a constraint): item by item.
        await savepoint.rollback_to()
        for n in accepted:
            results[n.pos] = await one.apply_parsed(reporter, n.index, n.ref, n.item, transaction)
        return
    await savepoint.release()
    for n in accepted:
        results[n.pos] = one.ItemResult(n.index, n.ref, "created", 1)


async def _subjects(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """The stored subjects of the chunk, by ("uscc", code) and ("digest", hex)."""
    found: dict[tuple[str, str], dict] = {}
    columns = "id, name, kind, uscc, id_number_digest, id_number_masked"
    for kind, column in (("uscc", "uscc"), ("digest", "id_number_digest")):
        values = sorted({v for k, v in keys if k == kind})
        for i in range(0, len(values), _LOOKUP):
            part = values[i : i + _LOOKUP]
            sql = f"SELECT {columns} FROM subject WHERE {column} IN (" + ", ".join(["{}"] * len(part)) + ")"
            for row in await _fetch(S, sql, part):
                found[(kind, row["uscc"] if kind == "uscc" else row["id_number_digest"])] = row
    return found


def _settle_subject(n: _New, subjects: dict, registered: dict) -> None:
    """The checks of ``service._subject_id``, against the stored subjects and those the chunk
    registers before this item."""
    item = n.item
    row = subjects.get(n.key)
    name = row["name"] if row else (registered[n.key].subject_name if n.key in registered else None)
    if item.subject_kind == SubjectKind.LEGAL:
        if name is None and not item.subject_name:
            raise ItemRejected(
                one.FieldError(
                    "subject.name", "unknown_subject", "平台尚无该统一社会信用代码的主体，请同时填写主体名称"
                )
            )
    elif name is not None and name != item.subject_name:
        # Say nothing about which of the two differs.
        raise ItemRejected(one.FieldError("subject", "subject_mismatch", "姓名与公民身份号码不一致，请核对"))
    if name is None:
        registered[n.key] = item


async def _write(reporter, accepted: list[_New], subjects: dict, registered: dict[tuple[str, str], Item]) -> None:
    now = one._now()
    if registered:
        rows = [_new_subject(item, now) for item in registered.values()]
        made = await _insert(S, rows, "id, name, kind, uscc, id_number_digest, id_number_masked")
        for row in made:
            key = ("uscc", row["uscc"]) if row["kind"] == SubjectKind.LEGAL else ("digest", row["id_number_digest"])
            subjects[key] = row
        await index_subjects([(r["id"], r["name"]) for r in made if r["kind"] == SubjectKind.LEGAL])
    records = [
        {
            "subject": subjects[n.key]["id"],
            "provider": reporter.agency_id,
            "record_type": n.item.record_type,
            "provider_ref": n.item.ref,
            "channel": reporter.channel,
            "consent_ref": n.item.consent_ref,
            "status": RecordStatus.IN_FORCE,
            "created_at": now,
            "updated_at": now,
            **n.item.values,
        }
        for n in accepted
    ]
    ids = {r["provider_ref"]: r["id"] for r in await _insert(R, records, "id, provider_ref")}
    details = {RecordType.PENALTY: [], RecordType.LICENSE: []}
    for n in accepted:
        if n.item.record_type in details:
            details[n.item.record_type].append(_detail(ids[n.item.ref], subjects[n.key], n.item))
    for record_type, rows in details.items():
        if rows:
            await _insert(PenaltyDetail if record_type == RecordType.PENALTY else LicenseDetail, rows)


async def _insert(table, rows: list[dict], returning: str = "") -> list[dict]:
    """One multi-row INSERT, the table's Piccolo defaults where a row has no value — without a
    Piccolo object per row, nor Piccolo's query string (splitting and renumbering a template of
    thousands of placeholders cost more than the insert): sent to the driver of the transaction
    the chunk runs in."""
    columns = [c for c in table._meta.columns if c is not table._meta.primary_key]
    template = table()
    defaults = {c._meta.name: getattr(template, c._meta.name) for c in columns}
    if unknown := {k for row in rows for k in row} - set(defaults):
        raise ValueError(f"unknown columns {sorted(unknown)}")  # the per-item path will say so
    names = ", ".join(f'"{c._meta.db_column_name}"' for c in columns)
    db = table._meta.db
    postgres = db.engine_type == "postgres"
    transaction = db.current_transaction.get()
    returns = f" RETURNING {returning}" if returning else ""
    plain = not any("[]" in c.column_type or "JSON" in c.column_type for c in columns)
    if postgres and transaction is not None and plain:
        return await _copy(transaction.connection, table, columns, defaults, rows, returning)
    args = [row.get(name, default) for row in rows for name, default in defaults.items()]
    width = len(columns)
    if postgres:
        values = ", ".join(
            "(" + ", ".join(f"${i + k + 1}" for k in range(width)) + ")" for i in range(0, len(args), width)
        )
    else:
        values = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(rows))
    sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES {values}{returns}'
    if transaction is None:  # the chunk always runs in one; Piccolo's own way otherwise
        braces = ", ".join(["(" + ", ".join(["{}"] * width) + ")"] * len(rows))
        return await table.raw(sql.replace(values, braces), *args)
    return await _send(transaction, postgres, sql, args)


async def _copy(connection, table, columns: list, defaults: dict, rows: list[dict], returning: str) -> list[dict]:
    """PostgreSQL: the rows by binary COPY, each value encoded once by its column's codec (an
    array parameter per column had asyncpg check every element against ``collections.abc``, ~7
    million checks per 100,000-row upload) and the server's cheapest way in. The ids are drawn
    from the table's sequence first, so ``returning`` comes from the rows themselves."""
    key = table._meta.primary_key._meta.db_column_name
    name = table._meta.tablename
    ids = await connection.fetchval(
        "SELECT array(SELECT nextval(s) FROM generate_series(1, $3)) FROM pg_get_serial_sequence($1, $2) s",
        name,
        key,
        len(rows),
    )
    items = list(defaults.items())
    await connection.copy_records_to_table(
        name,
        records=[(i, *[row.get(n, d) for n, d in items]) for i, row in zip(ids, rows)],
        columns=[key, *(c._meta.db_column_name for c in columns)],
    )
    wanted = [w.strip() for w in returning.split(",") if w.strip()]
    if not wanted:
        return []
    return [{w: i if w == key else row.get(w, defaults[w]) for w in wanted} for i, row in zip(ids, rows)]


async def _send(transaction, postgres: bool, sql: str, args: list) -> list[dict]:
    if postgres:
        return [dict(r) for r in await transaction.connection.fetch(sql, *args)]
    async with transaction.connection.execute(sql, args) as cursor:
        return list(await cursor.fetchall())


async def _fetch(table, sql: str, args: list) -> list[dict]:
    """A look-up with ``{}`` for each argument, like ``_insert``: straight to the driver of the
    chunk's transaction (Piccolo's query building for 500-value IN lists cost more than the query)."""
    db = table._meta.db
    transaction = db.current_transaction.get()
    if transaction is None:
        return await table.raw(sql, *args)
    postgres = db.engine_type == "postgres"
    marks = [f"${i}" for i in range(1, len(args) + 1)] if postgres else ["?"] * len(args)
    return await _send(transaction, postgres, sql.format(*marks), args)


def _new_subject(item: Item, now) -> dict:
    if item.subject_kind == SubjectKind.LEGAL:
        return {
            "kind": SubjectKind.LEGAL,
            "subject_type": SubjectType.ENTERPRISE,
            "name": item.subject_name,
            "uscc": item.uscc,
            "created_at": now,
            "updated_at": now,
        }
    return {
        "kind": SubjectKind.NATURAL,
        "subject_type": SubjectType.NATURAL,
        "name": item.subject_name,
        "id_number_digest": id_number_digest(item.id_number),
        "id_number_masked": mask_id_number(item.id_number),
        "id_number_sealed": seal_id_number(item.id_number),
        "created_at": now,
        "updated_at": now,
    }


def _detail(record_id: int, subject: dict, item: Item) -> dict:
    """As ``service._save_detail``: the subject as stored, the authority as the data source."""
    return {
        "record": record_id,
        "subject_name": subject["name"],
        "subject_code": subject["uscc"] or subject["id_number_masked"] or "",
        "data_source": item.detail.get("authority", ""),
        **item.detail,
    }
