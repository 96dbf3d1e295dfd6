"""Sharing rules for class-C information (R-15)."""
