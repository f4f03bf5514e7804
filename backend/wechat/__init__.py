"""WeChat: the wechatpy adapter and a fake WeChat server for tests and dev."""
