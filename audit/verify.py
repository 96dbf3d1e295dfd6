"""``python -m audit verify``: prove the log was not silently altered (SPEC §5; issue 3 item 8).

Checks, in order: the tombstone chain (signed purged ranges), the checkpoint chain (signed, each
linking the previous; the database copy against the exported files), the held entries left inside
purged ranges, then every entry after the starting point — seq contiguity, the link to the previous
hash, the recomputed hash, time order — against every signed checkpoint, and finally the chain head.
That detects an edited entry, a deleted one, reordering, a truncated tail (given a checkpoint
exported past it), and hashes recomputed without the private key (they no longer match a signed
checkpoint). Incremental runs start at the last signed checkpoint a previous good run covered, and
check the guard (``guard.py``: present, as defined, and the fingerprint the latest checkpoint signed —
if it changed, the run walks everything), every checkpoint's entry and the log's length, so a
deletion anywhere is seen at a cost of new entries plus checkpoints (limits: audit/README.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audit.chain import ENTRY_VERSION, GENESIS, US, format_time, joined_hash, parse_time
from audit.db import Conn
from audit.guard import guard_problems_and_state, same_epoch, signed_state
from audit.sealing import CHECKPOINT_SELECT, TOMBSTONE_SELECT, check_seal, from_row, read_exports

BATCH = 20000
MAX_PROBLEMS = 50


_TEXT_FIELDS = (
    "requester_account requester_role requester_org method reason_code reason_text subject_ref "
    "subject_label scope authority_ref authority_sha256 outcome request_id case_ref"
).split()


def canonical_select(conn: Conn) -> str:
    """seq, the 17 canonical field texts joined with US, prev_hash, entry_hash.

    The database only concatenates the stored values (built-ins ``concat_ws``/``||``; pg_catalog is
    searched first, so a schema function cannot shadow them); four columns per row instead of 19
    roughly doubles the rows/s the verifier can read. The separator count is still checked.
    """
    if conn.engine == "postgres":
        fields = ["seq::text", conn.time_sql("created_at"), *_TEXT_FIELDS, "subject_query_count::text"]
        joined = f"concat_ws(chr(31), {', '.join(fields)})"
    else:
        fields = ["CAST(seq AS TEXT)", "created_at", *_TEXT_FIELDS, "CAST(subject_query_count AS TEXT)"]
        joined = " || char(31) || ".join(fields)
    return f"seq, {joined} AS canonical, prev_hash, entry_hash"


@dataclass
class Problem:
    seq: int | None
    code: str
    zh: str
    en: str

    def __str__(self) -> str:
        where = f"seq {self.seq}: " if self.seq is not None else ""
        return f"{where}{self.zh} / {self.en}"


@dataclass
class Walker:
    """Checks a run of consecutive entries; shared by verify, checkpoint and purge."""

    expected_seq: int
    prev_hash: str
    constraints: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0
    prev_time: str = ""
    last_good_checkpoint_seq: int = 0

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def feed(self, rows: list[Any]) -> None:
        sha = hashlib.sha256
        prefix = ENTRY_VERSION + US
        for row in rows:
            seq, joined, prev, stored = int(row[0]), row[1], row[2], row[3]
            linked = True
            if seq != self.expected_seq:
                linked = False
                if seq > self.expected_seq:
                    gap = f"{self.expected_seq}" if seq == self.expected_seq + 1 else f"{self.expected_seq}–{seq - 1}"
                    self.add(
                        Problem(
                            self.expected_seq,
                            "missing",
                            f"条目 {gap} 缺失（被删除）",
                            f"entries {gap} are missing (deleted)",
                        )
                    )
                else:
                    self.add(Problem(seq, "duplicate", f"条目序号 {seq} 重复", f"duplicate entry seq {seq}"))
            if joined.count(US) != 16:
                self.add(
                    Problem(seq, "separator", "字段含分隔符（被篡改）", "a field contains the separator (tampered)")
                )
            digest = sha(f"{prev}\n{prefix}{joined}".encode()).hexdigest()
            if digest != stored:
                self.add(
                    Problem(
                        seq,
                        "edited",
                        "条目内容与其哈希不符（被修改）",
                        "entry content does not match its hash (edited)",
                    )
                )
            elif prev != self.prev_hash and linked:
                self.add(
                    Problem(
                        seq,
                        "link",
                        "条目未链接到前一条目（顺序被调换或有条目被插入/删除）",
                        "entry does not link to the previous one (reordered, inserted or removed)",
                    )
                )
            created = joined.split(US, 2)[1]
            if created < self.prev_time:
                self.add(
                    Problem(
                        seq,
                        "time",
                        "时间早于前一条目（顺序被调换）",
                        "time earlier than the previous entry (reordered)",
                    )
                )
            for cp_id, cp_hash in self.constraints.get(seq, ()):
                if cp_hash != stored:
                    first = self.last_good_checkpoint_seq + 1
                    self.add(
                        Problem(
                            first,
                            "checkpoint",
                            f"与签名检查点 #{cp_id} 不符：序号 {first}–{seq} 之间的条目被修改并重算了哈希",
                            f"does not match signed checkpoint #{cp_id}: entries {first}–{seq} were altered "
                            "and their hashes recomputed",
                        )
                    )
                else:
                    self.last_good_checkpoint_seq = seq
            self.prev_hash = stored
            self.prev_time = created
            self.expected_seq = seq + 1
            self.checked += 1


async def walk(conn: Conn, walker: Walker, after_seq: int, upto_seq: int | None = None) -> Walker:
    """Stream entries with seq in (after_seq, upto_seq] through ``walker`` in keyset batches."""
    columns = canonical_select(conn)
    bound = "" if upto_seq is None else " AND seq <= $2"
    sql = f"SELECT {columns} FROM entries WHERE seq > $1{bound} ORDER BY seq LIMIT {BATCH}"
    args = () if upto_seq is None else (upto_seq,)
    # The next batch is requested before this one is hashed: the database works while we hash.
    pending = asyncio.ensure_future(conn.fetch(sql, after_seq, *args))
    while pending is not None:
        rows = await pending
        pending = None
        if len(rows) == BATCH:
            pending = asyncio.ensure_future(conn.fetch(sql, int(rows[-1][0]), *args))
        walker.feed(rows)
    return walker


@dataclass
class VerifyResult:
    ok: bool
    mode: str
    from_seq: int
    to_seq: int
    entries_checked: int
    checkpoints_checked: int
    tombstones_checked: int
    problems: list[Problem]
    anchor_checkpoint_id: int | None
    elapsed: float
    note: str = ""  # why an incremental run walked everything

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [p.seq for p in self.problems if p.seq is not None]
        return min(seqs) if seqs else None


class Verifier:
    def __init__(
        self, conn: Conn, keys: dict, export_dir: Path | None, reload_keys: Callable[[], dict] | None = None
    ) -> None:
        self.conn = conn
        self.keys = keys
        self.export_dir = export_dir
        self.reload_keys = reload_keys
        """Reads the trusted keys again, once, when a record names a key this run has not loaded."""
        self.problems: list[Problem] = []

    def _add(self, seq: int | None, code: str, zh: str, en: str) -> None:
        self.problems.append(Problem(seq, code, zh, en))

    async def _signed(self, kind: str, select: str) -> list[tuple[dict, str, str]]:
        """DB records checked against seals, their chain and the exported copies; the valid ones."""
        rows = [from_row(kind, r) for r in await self.conn.fetch(f"{select} ORDER BY id")]
        exported = read_exports(self.export_dir, kind)
        by_id = {body["id"]: (body, digest, sig) for body, digest, sig in rows}
        name = {"checkpoint": ("检查点", "checkpoint"), "tombstone": ("墓碑记录", "tombstone")}[kind]
        for rid, copy in sorted(exported.items()):
            if isinstance(copy, str):
                self._add(None, "export", f"导出的{name[0]} #{rid} 无法读取", copy)
            elif rid not in by_id:
                self._add(
                    copy[0].get("seq", copy[0].get("from_seq")),
                    "deleted",
                    f"{name[0]} #{rid} 已从数据库删除",
                    f"{name[1]} #{rid} was deleted from the database",
                )
                by_id[rid] = copy
            elif by_id[rid] != copy:
                self._add(
                    None,
                    "differs",
                    f"数据库中的{name[0]} #{rid} 与导出副本不同",
                    f"{name[1]} #{rid} in the database differs from the exported copy",
                )
                by_id[rid] = copy  # the export is the trusted copy
        valid, prev = [], GENESIS
        for rid in sorted(by_id):
            body, digest, sig = by_id[rid]
            where = body.get("seq", body.get("from_seq"))
            reason = check_seal(body, digest, sig, self.keys)
            if reason and self.reload_keys and body.get("key_id") not in self.keys:
                # The first checkpoint makes the first signing key; one signed beside this run
                # (cron, the scheduler) can be newer than the keys it loaded at its start.
                self.keys, self.reload_keys = self.reload_keys(), None
                reason = check_seal(body, digest, sig, self.keys)
            link = body.get("prev_checkpoint_hash", body.get("prev_tombstone_hash"))
            if reason:
                self._add(
                    where,
                    "seal",
                    f"{name[0]} #{rid} 签名无效（{reason}）",
                    f"{name[1]} #{rid} is not validly signed ({reason})",
                )
                continue
            if rid != len(valid) + 1 or link != prev:
                self._add(where, "chain", f"{name[0]}链在 #{rid} 处断开", f"{name[1]} chain broken at #{rid}")
            valid.append(by_id[rid])
            prev = digest
        return valid

    async def run(self, *, full: bool, last_good_to_seq: int | None) -> VerifyResult:
        started = time.perf_counter()
        tombstones = await self._signed("tombstone", TOMBSTONE_SELECT)
        base_seq, base_hash, kept = 0, GENESIS, {}
        for body, _, _ in tombstones:
            if body["from_seq"] != base_seq + 1 or body["first_prev_hash"] != base_hash:
                self._add(
                    body["from_seq"],
                    "tombstone",
                    f"墓碑记录 #{body['id']} 与前一范围不衔接",
                    f"tombstone #{body['id']} does not continue the previous range",
                )
            kept.update({int(s): h for s, h in body["kept"]})
            for s in body["released"]:
                kept.pop(int(s), None)
            base_seq, base_hash = max(base_seq, body["to_seq"]), body["last_hash"]
        checkpoints = await self._signed("checkpoint", CHECKPOINT_SELECT)
        constraints: dict[int, list[tuple[int, str]]] = {}
        for body, _, _ in checkpoints:
            constraints.setdefault(body["seq"], []).append((body["id"], body["entry_hash"]))
        await self._check_kept(base_seq, kept)

        guard_problems, state = await guard_problems_and_state(self.conn)
        for zh, en in guard_problems:
            self._add(None, "guard", f"{zh}：条目可被删改", f"{en}: entries can be deleted or edited")

        start_seq, start_hash, anchor, note = base_seq, base_hash, None, ""
        if not full and last_good_to_seq is not None:
            usable = [b for b, _, _ in checkpoints if base_seq < b["seq"] <= last_good_to_seq]
            latest = checkpoints[-1][0] if checkpoints else None
            signed = await signed_state(self.conn, latest) if latest else None
            cutoff = parse_time(tombstones[-1][0]["cutoff"]) if tombstones else None
            if guard_problems or not same_epoch(signed, state, cutoff):
                # The guard may have been off since the latest checkpoint: a deletion anywhere is
                # possible, so this run walks everything (guard.py).
                note = "guard changed since the latest signed checkpoint: full walk"
            elif usable:
                anchor = usable[-1]
                start_seq, start_hash = anchor["seq"], anchor["entry_hash"]
                await self._check_anchor(anchor)
                await self._check_signed_entries([b for b, _, _ in checkpoints if base_seq < b["seq"] < start_seq])
                await self._check_not_shorter(last_good_to_seq)
        walker = Walker(start_seq + 1, start_hash, constraints, last_good_checkpoint_seq=start_seq)
        await walk(self.conn, walker, start_seq)
        self.problems.extend(walker.problems)
        last_seq = walker.expected_seq - 1
        self._check_tail(constraints, last_seq)
        await self._check_head(last_seq, walker.prev_hash)
        return VerifyResult(
            ok=not self.problems,
            note=note,
            mode="incremental" if anchor else "full",
            from_seq=start_seq + 1,
            to_seq=last_seq,
            entries_checked=walker.checked,
            checkpoints_checked=len(checkpoints),
            tombstones_checked=len(tombstones),
            problems=self.problems,
            anchor_checkpoint_id=anchor["id"] if anchor else None,
            elapsed=time.perf_counter() - started,
        )

    async def _check_kept(self, base_seq: int, kept: dict[int, str]) -> None:
        """Held entries inside purged ranges: exactly those the tombstones list, unaltered."""
        rows = await self.conn.fetch(
            f"SELECT {canonical_select(self.conn)} FROM entries WHERE seq <= $1 ORDER BY seq", base_seq
        )
        present = set()
        for row in rows:
            seq = int(row[0])
            present.add(seq)
            if kept.get(seq) != row[3] or joined_hash(row[2], row[1]) != row[3]:
                self._add(
                    seq,
                    "purged_range",
                    "已清除范围内的条目不是受保全的原条目（被插入或修改）",
                    "entry inside a purged range is not an unaltered held entry (inserted or edited)",
                )
        for seq in sorted(set(kept) - present):
            self._add(seq, "held_missing", "受法律保全的条目缺失", "an entry under legal hold is missing")

    async def _check_anchor(self, anchor: dict) -> None:
        row = await self.conn.fetchrow(
            f"SELECT {canonical_select(self.conn)} FROM entries WHERE seq = $1", anchor["seq"]
        )
        if row is None or joined_hash(row[2], row[1]) != row[3] or row[3] != anchor["entry_hash"]:
            self._add(
                anchor["seq"],
                "anchor",
                f"检查点 #{anchor['id']} 所指条目被修改或删除",
                f"the entry of checkpoint #{anchor['id']} was altered or deleted",
            )

    async def _check_signed_entries(self, bodies: list[dict]) -> None:
        """Every signed checkpoint's entry below the anchor is still there with its signed hash:
        one indexed look-up per checkpoint, so deleting any of them is seen without a walk."""
        for i in range(0, len(bodies), 500):
            part = bodies[i : i + 500]
            marks = ", ".join(f"${n + 1}" for n in range(len(part)))
            rows = await self.conn.fetch(
                f"SELECT seq, entry_hash FROM entries WHERE seq IN ({marks})", *[b["seq"] for b in part]
            )
            found = {int(r[0]): r[1] for r in rows}
            for body in part:
                if found.get(body["seq"]) != body["entry_hash"]:
                    self._add(
                        body["seq"],
                        "anchor",
                        f"签名检查点 #{body['id']} 所指条目被修改或删除",
                        f"the entry of signed checkpoint #{body['id']} was altered or deleted",
                    )

    async def _check_not_shorter(self, last_good_to_seq: int) -> None:
        """The log never gets shorter than a previous good run saw it (one index look-up)."""
        top = await self.conn.fetchval("SELECT max(seq) FROM entries")
        if top is None or int(top) < last_good_to_seq:
            self._add(
                (int(top) if top is not None else 0) + 1,
                "truncated",
                f"上次校验通过时日志到序号 {last_good_to_seq}，现在止于 {top or 0}：尾部被截断",
                f"a previous good run saw seq {last_good_to_seq}, the log now ends at {top or 0}: truncated",
            )

    def _check_tail(self, constraints: dict[int, list[tuple[int, str]]], last_seq: int) -> None:
        beyond = sorted((seq, cp) for seq, cps in constraints.items() if seq > last_seq for cp, _ in cps)
        if beyond:
            seq, cp = beyond[0]
            self._add(
                last_seq + 1,
                "truncated",
                f"签名检查点 #{cp} 覆盖到序号 {seq}，但日志止于 {last_seq}：尾部被截断",
                f"signed checkpoint #{cp} covers seq {seq} but the log ends at {last_seq}: the tail was truncated",
            )

    async def _check_head(self, last_seq: int, last_hash: str) -> None:
        row = await self.conn.fetchrow("SELECT last_seq, last_hash FROM chain_head WHERE id = 1")
        if row is None:
            self._add(None, "head", "链头记录缺失", "the chain head row is missing")
        elif int(row[0]) > last_seq:
            self._add(
                last_seq + 1,
                "truncated",
                f"链头为 {row[0]}，但条目止于 {last_seq}：尾部被截断",
                f"the chain head is at {row[0]} but entries end at {last_seq}: the tail was truncated",
            )
        elif int(row[0]) < last_seq or (row[1] != last_hash and last_seq == int(row[0])):
            self._add(int(row[0]) + 1, "head", "条目与链头不一致", "entries do not agree with the chain head")


async def last_good_run(conn: Conn) -> int | None:
    return await conn.fetchval("SELECT to_seq FROM verification_runs WHERE ok = 1 ORDER BY id DESC LIMIT 1")


async def record_run(conn: Conn, result: VerifyResult, started: datetime) -> None:
    first = result.problems[0] if result.problems else None
    await conn.execute(
        "INSERT INTO verification_runs (started_at, finished_at, mode, from_seq, to_seq, entries_checked, ok, "
        "first_bad_seq, anchor_checkpoint_id, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        format_time(started),
        format_time(datetime.now(timezone.utc)),
        result.mode,
        result.from_seq,
        result.to_seq,
        result.entries_checked,
        1 if result.ok else 0,
        result.first_bad_seq,
        result.anchor_checkpoint_id,
        str(first) if first else f"ok: {result.entries_checked} entries",
    )
