"""Public JSON API (open data)."""
