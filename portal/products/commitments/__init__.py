"""信用承诺 (R-P1): standard texts kept by staff, commitments signed online by proven subjects,
their publication, PDF and check page, and breaches recorded by the accepting agency."""
