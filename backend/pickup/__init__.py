"""Flexible pickup: authorised persons, notices, the dismissal board, the gate handoff, leave."""
