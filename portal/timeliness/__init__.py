"""timeliness domain: how promptly agencies report (R-12, R-13)."""
