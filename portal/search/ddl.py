"""Search and listing indexes that Piccolo's column options cannot express.

SQLite: FTS5 ``trigram`` answers names queried with 3+ characters; FTS5 does not match shorter
strings (STACK.md), so a second, contentless FTS5 table (``subject_name_bigram``) holds each
name's single characters and adjacent pairs as tokens and answers 1- and 2-character queries.
PostgreSQL: ``pg_trgm`` GIN for 3+ characters and a (gram, subject_id) B-tree
(``subject_bigram``, same 1- and 2-character grams), read in id order for keyset paging.
Only legal persons are indexed: natural persons are not listed by name in public (R-17).
"""

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS subject_name_trgm USING fts5("
    "name, content='subject', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS subject_name_bigram USING fts5("
    "grams, content='', detail='none', tokenize='unicode61 remove_diacritics 0')",
]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS subject_name_trgm ON subject USING gin (name gin_trgm_ops) WHERE kind = 'legal'",
    "CREATE TABLE IF NOT EXISTS subject_bigram (gram varchar(2) NOT NULL, "
    "subject_id integer NOT NULL, "  # no foreign key: a derived index (migration 2026-12-07T11)
    "PRIMARY KEY (gram, subject_id))",
    "ALTER TABLE subject ALTER COLUMN name SET STATISTICS 1000",
]

# 3+-character search on PostgreSQL drives from the query's rarest pair (search/service.py):
# pg_stats must list every common pair with its frequency. Migration 2026-11-22T09:00.
POSTGRES_GRAM_STATISTICS = [
    "ALTER TABLE subject_bigram ALTER COLUMN gram SET STATISTICS 10000",
    "ANALYZE subject_bigram",
]

# Keyset listing indexes (DESIGN: never OFFSET), same on both engines.
COMMON = [
    "CREATE INDEX IF NOT EXISTS credit_record_publicity ON credit_record (record_type, decision_date DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS credit_record_provider_publicity ON credit_record "
    "(provider, record_type, decision_date DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS list_entry_listing ON list_entry (list_type, listed_on DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS login_failure_key_time ON login_failure (key, failed_at)",
]


def statements(engine_type: str) -> list[str]:
    return (POSTGRES if engine_type == "postgres" else SQLITE) + COMMON
