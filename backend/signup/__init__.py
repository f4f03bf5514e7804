"""Voluntary sign-up (申请), the three-level review and the public posting (公示)."""
