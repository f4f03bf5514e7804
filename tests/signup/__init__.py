"""Sign-up, review and posting tests."""
