"""calendar domain."""
