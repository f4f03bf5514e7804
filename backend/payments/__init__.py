"""WeChat Pay (APIv3): JSAPI orders for statements, notifications, refunds, reconciliation."""
