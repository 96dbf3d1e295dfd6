"""Identity claims (DESIGN rule 8, R-18): registration is a claim; the link to a subject and any
organisation name shown to others come from an accepted proof.

Existing accounts that never proved who they are keep what they said as a claim, lose their
subject link and organisation, and the requests they filed show their name as unverified.
Frozen SQL for both engines (no live code imported).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "identity claims; unproven accounts unlinked"

_COLUMNS = (
    '"account" INTEGER UNIQUE REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
    "\"kind\" VARCHAR(16) NOT NULL DEFAULT '', \"claimed_name\" VARCHAR(200) NOT NULL DEFAULT '', "
    '"uscc" VARCHAR(18) DEFAULT null, "id_number_digest" VARCHAR(64) DEFAULT null, '
    '"id_number_masked" VARCHAR(18) DEFAULT null, "id_number_sealed" TEXT DEFAULT null, '
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp'
)
CREATE = {
    "sqlite": [
        f'CREATE TABLE "identity_claim" ("id" INTEGER PRIMARY KEY NOT NULL, {_COLUMNS})',
        'CREATE INDEX identity_claim_uscc ON "identity_claim" ("uscc")',
        'CREATE INDEX identity_claim_id_number_digest ON "identity_claim" ("id_number_digest")',
    ],
    "postgres": [
        f'CREATE TABLE "identity_claim" ("id" SERIAL PRIMARY KEY NOT NULL, {_COLUMNS})',
        'CREATE INDEX identity_claim_uscc ON "identity_claim" USING btree ("uscc")',
        'CREATE INDEX identity_claim_id_number_digest ON "identity_claim" USING btree ("id_number_digest")',
    ],
}

# An account is proven when a verified proof links it to the subject it speaks for; credit-service
# bodies had no proof path before this migration.
_PROVEN = (
    "EXISTS (SELECT 1 FROM identity_proof p WHERE p.account = account.id AND p.status = 'verified' "
    "AND p.subject = account.subject AND account.role IN ('citizen', 'enterprise'))"
)
# Same SQL on both engines: standard UPDATE/INSERT … SELECT with correlated sub-queries.
DATA = [
    # What each account said (or was linked to) becomes its claim.
    "INSERT INTO identity_claim (account, kind, claimed_name, uscc, id_number_digest, id_number_masked, "
    "id_number_sealed, created_at) "
    "SELECT a.id, CASE a.role WHEN 'citizen' THEN 'natural' WHEN 'enterprise' THEN 'legal' ELSE 'organisation' END, "
    "CASE a.role WHEN 'citizen' THEN a.display_name WHEN 'third_party' THEN a.organisation ELSE '' END, "
    "s.uscc, s.id_number_digest, s.id_number_masked, s.id_number_sealed, a.created_at "
    "FROM account a LEFT JOIN subject s ON s.id = a.subject "
    "WHERE a.role IN ('citizen', 'enterprise', 'third_party')",
    # Requests filed by unproven accounts name them as unverified (never as the subject they claimed).
    "UPDATE query_authorization SET requester_org = "
    "(SELECT a.display_name FROM account a WHERE a.id = query_authorization.requester) || '（未核验）' "
    "WHERE requester IN (SELECT account.id FROM account WHERE account.role IN ('enterprise', 'third_party') "
    f"AND NOT {_PROVEN})",
    f"UPDATE account SET organisation = '' WHERE role IN ('enterprise', 'third_party') AND NOT {_PROVEN}",
    f"UPDATE account SET subject = NULL WHERE role IN ('citizen', 'enterprise') AND subject IS NOT NULL "
    f"AND NOT {_PROVEN}",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo_conf import DB

        engine = "postgres" if DB.engine_type == "postgres" else "sqlite"
        for sql in CREATE[engine] + DATA:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
