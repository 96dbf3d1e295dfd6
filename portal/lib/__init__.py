"""Pure helpers: code validation, masking, working days (no I/O, no database, no web imports)."""
