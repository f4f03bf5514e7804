"""Audit trail (痕迹管理): append-only, hash-chained rows of who did what, when."""
