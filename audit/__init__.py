"""The query-audit service (R-19, SPEC §5): a tamper-evident, append-only log of every query.

Never imports ``portal`` (DESIGN rule 3). The portal appends through ``audit.recorder`` only.
"""
