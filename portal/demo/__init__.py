"""Demo data: ``python -m portal demo-data --subjects N --seed S [--if-empty] [--quiet]``.

A deterministic, Zhengzhou-like data set (same seed, same rows), loadable at city scale
(``--subjects 1700000``, about 10M credit records) in minutes on both engines.

Layout:

* ``command``        – entry point ``run()``: migrate, pick the engine loader, refresh the home page
  figures, print the summary and the demo accounts.
* ``load_sqlite`` / ``load_postgres`` – bulk loading with the raw drivers (sqlite3 executemany /
  asyncpg COPY) in one transaction, secondary indexes dropped and recreated exactly, search
  indexes rebuilt, ANALYZE.
* ``pipeline``       – a forked generator process feeding the loader through a bounded queue.
* ``generate``       – ``DemoGenerator``: pure row generation as COPY text lines;
  ``subjects`` (legal and natural persons) and ``details`` (双公示 details, change history,
  red/black lists) are its mixins.
* ``catalog_*``      – the record templates: penalties (violation, facts, legal basis), licences,
  other legal-person items, natural-person items and lists, registration details.
* ``names``, ``places``, ``calendar_tables`` – name generators, districts and agencies, day tables.
ID numbers are digested and sealed with ``portal.subjects.identity`` (the same keys as registration).
* ``accounts``       – one demo account per role, with printed demo passwords (仅供演示).
* ``columns``        – column order of every loaded table.
"""
