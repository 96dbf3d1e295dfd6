"""Child process for the kill -9 fault test: appends concurrently, printing each acknowledged seq.

    python tests/audit/appender.py TAG CONCURRENCY      (settings from the AUDIT_* environment)

A line "seq request_id" is printed only after ``record`` returned, i.e. after COMMIT.
"""

from __future__ import annotations

import asyncio
import sys

from audit.recorder import QueryEvent, Recorder
from audit.settings import load_settings


async def main(tag: str, concurrency: int) -> None:
    recorder = Recorder(load_settings())
    out = sys.stdout

    async def worker(w: int) -> None:
        i = 0
        while True:
            request_id = f"{tag}-{w}-{i}"
            receipt = await recorder.record(
                QueryEvent(
                    requester_account=str(w),
                    requester_role="agency",
                    requester_org="郑州市某局",
                    method="agency",
                    reason_code="supervision",
                    reason_text="监管核查",
                    subject_ref=f"kill-{(w + i) % 7}",
                    subject_label="某公司",
                    scope="A,B",
                    request_id=request_id,
                )
            )
            out.write(f"{receipt.seq} {request_id} {receipt.subject_query_count}\n")
            out.flush()
            i += 1

    await asyncio.gather(*(worker(w) for w in range(concurrency)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
