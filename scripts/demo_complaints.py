#!/usr/bin/env python3
"""Follow one complaint (监督举报, R16) from the parent to the office's reply and back.

Runs against the `scripts/dev` server (default http://127.0.0.1:5000; or KEHOU_URL, or
--base-url), through the two public APIs only: the demo parent (login code demo-parent)
files a complaint about 王小明's pickup and gets a tracking number and a due time (5
working days by the Chinese calendar); the office (demo-office) lists what is waiting,
accepts it and replies; the parent reads the reply and its history and rates it.
The office signs in with the seeded demo TOTP secret (DEMO_TOTP_SECRET overrides it; pyotp).
Each run files a new complaint (at most 10 per hour per user: the filing rate limit).
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request

from demo_client import ApiError, Client, step

PUPIL = "王小明"
STATUS_ZH = {
    "submitted": "已提交",
    "accepted": "已受理",
    "resolved": "已办结",
    "rejected": "不予支持",
    "escalated": "已提交上级督办",
}
BY_ZH = {"filer": "本人", "school": "学校", "district": "教育局", "system": "系统"}


def show(c: dict) -> None:
    print(
        f"    {c['tracking_no']}  状态 {c['status']} ({STATUS_ZH[c['status']]})"
        f"  办理期限 {c['due_at']}"
    )
    for e in c.get("events", []):
        text = f"：{e['text']}" if e.get("text") else ""
        print(f"      {e['at']}  {BY_ZH[e['by']]}  {e['kind']} -> {e['status']}{text}")


def run(api: Client) -> int:
    step(1, f"The demo parent files a complaint about {PUPIL}'s pickup")
    parent = api.wechat("parent")
    child = next(c for c in api.call("GET", "/api/v1/me/children", parent) if c["name"] == PUPIL)
    filed = api.call(
        "POST",
        "/api/v1/complaints",
        parent,
        {
            "school_id": child["school_id"],
            "category": "safety",
            "text": "放学时校门口秩序混乱，接孩子的家长和车辆挤在一起，存在安全隐患。",
            "student_id": child["student_id"],
        },
    )
    print(f"    tracking number {filed['tracking_no']}, due {filed['due_at']}")
    print("    (the end of the 5th working day by the Chinese calendar, Asia/Shanghai)")
    cid, school_id = filed["id"], child["school_id"]
    base = f"/admin/api/v1/schools/{school_id}/complaints"

    step(2, "The office (demo-office) sees it waiting and accepts it")
    office = api.office()
    summary = api.call("GET", f"{base}/summary", office)
    print(f"    open {summary['open']}, overdue {summary['overdue']}")
    waiting = api.call("GET", f"{base}?status=submitted", office)
    ours = api.call("GET", f"{base}/{cid}", office)
    print(f"    {len(waiting)} submitted on the first page; ours is from {ours['filer']}")
    api.call("POST", f"{base}/{cid}/accept", office)

    step(3, "The office replies: resolved")
    reply = "已与门卫和值班老师沟通，放学时段增设两名护导老师并划定家长等候区。"
    show(api.call("POST", f"{base}/{cid}/reply", office, {"text": reply, "resolution": "resolved"}))

    step(4, "The parent reads the reply and its history")
    mine = api.call("GET", f"/api/v1/complaints/{cid}", parent)
    show(mine)
    print(f"    reply: {mine['reply_text']}")

    step(5, "The parent rates the reply (satisfied: no escalation needed)")
    rated = api.call(
        "POST",
        f"/api/v1/complaints/{cid}/feedback",
        parent,
        {"satisfied": True, "comment": "谢谢，这两天门口秩序好多了"},
    )
    print(f"    feedback: {rated['feedback']}; may still escalate: {rated['can_escalate']}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("KEHOU_URL", "http://127.0.0.1:5000"))
    api = Client(parser.parse_args().base_url)
    try:
        return run(api)
    except urllib.error.URLError as exc:
        print(f"cannot reach {api.base} ({exc.reason}); start the server with scripts/dev first")
    except ApiError as exc:
        print(f"the server refused: {exc}")
        if exc.status == 429:
            print("(the filing limit is 10 complaints per hour per user: try again later)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
