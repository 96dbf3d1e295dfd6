"""Headline counts."""
