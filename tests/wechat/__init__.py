"""Tests of the WeChat adapter and the fake WeChat server."""
