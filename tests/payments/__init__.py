"""Tests of WeChat Pay: orders, notifications, refunds, sweep, reconciliation."""
