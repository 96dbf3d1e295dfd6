"""信用信息核查 / 信用审查 (R-P2): applications, the centre's queue with its 5-working-day deadline,
the opinion (信用信息查询意见) issued on the audited disclosure path, and its public verification.
Nothing is imported here, so importing a submodule loads only what it needs."""
