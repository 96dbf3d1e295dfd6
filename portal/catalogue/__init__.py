"""信用信息共享指标目录: the shared indicator catalogue (Z80 第二十六条)."""
