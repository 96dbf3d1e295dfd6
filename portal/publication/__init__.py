"""Publication of class-A information (R-15, R-17, R-20)."""
