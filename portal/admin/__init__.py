"""Administration (accounts; never the audit log)."""
