"""Tests of the school office API: roster, import, role grants and scope."""
