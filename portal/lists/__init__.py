"""lists domain."""
