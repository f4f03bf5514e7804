"""The privacy domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define

RequestPending = define(
    "deletion_request_pending", 409, "已有一份待处理的删除申请", "A deletion request is pending"
)
RequestDecided = define(
    "deletion_request_decided", 409, "该申请已处理", "The request was already decided"
)
