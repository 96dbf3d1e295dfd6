"""Public pages: home, search, profiles, 双公示, red and black lists."""
