"""Outbox of WeChat messages: written in the business transaction, sent after commit."""
