#!/usr/bin/env python3
"""Watch a satisfaction survey (R15) go from the office to a family and back, anonymously.

Runs against the `scripts/dev` server (default http://127.0.0.1:5000; or KEHOU_URL, or
--base-url), over the two public APIs only: the office creates a survey of the current
term, the demo parent (login code demo-parent) answers it for a child enrolled in that
term, and the office reads the results. While the survey is open, and for a subject with
fewer than 5 responses, the results show counts only: no average, no text, so no single
family's answer can be read off.
Run `scripts/demo` first so that 王小明 is enrolled. Safe to run again (a new survey each run).

Office sign-in: the demo office's seeded TOTP secret is used (DEMO_TOTP_SECRET overrides it);
the script sends the current code as `otp` (needs pyotp).
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta, timezone

from demo_client import ApiError, Client, step

SHANGHAI = timezone(timedelta(hours=8))
QUESTIONS = [
    {"text": "总体满意度", "kind": "score"},
    {"text": "老师认真负责、关心孩子", "kind": "score"},
    {"text": "意见和建议", "kind": "text"},
]


def iso(dt: datetime) -> str:
    return dt.astimezone(SHANGHAI).isoformat(timespec="seconds")


def current_term(api: Client, office: str, school_id: int) -> dict | None:
    """The term covering today (the demo term of scripts/demo when there are several)."""
    terms = api.call("GET", f"/admin/api/v1/schools/{school_id}/terms", office)
    today = str(date.today())
    running = [t for t in terms if t["starts_on"] <= today <= t["ends_on"]]
    demo = [t for t in running if t["name"] == "课后服务演示学期"]
    return (demo or running or [None])[0]


def answers_for(survey: dict) -> list[dict]:
    """The demo family's answer: every question for the service and each course."""
    out = []
    for subject in survey["subjects"]:
        for q in survey["questions"]:
            a = {"kind": subject["kind"], "question_id": q["id"]}
            if subject["kind"] == "course":
                a["course_id"] = subject["course_id"]
            if q["kind"] == "score":
                a["score"] = 5 if subject["kind"] == "service" else 4
            else:
                a["text"] = "希望增加户外活动时间"
            out.append(a)
    return out


def show_results(res: dict) -> None:
    rate = res["response_rate"]
    rate_text = "—" if rate is None else f"{rate:.0%}"
    state = "closed" if res["closed"] else "open: averages once closed"
    print(f"    {res['responses']} responses of {res['asked']} pupils asked ({rate_text}), {state}")
    for s in res["subjects"]:
        label = "整体" if s["kind"] == "service" else "课程"
        avg = s.get("average")
        shown = f"average {avg}" if avg is not None else f"count only (< {res['min_responses']})"
        print(f"    [{label}] {s['name']}: {s['responses']} responses, {shown}")
        for q in s["questions"]:
            if "average" in q or "texts" in q:
                print(f"        {q['text']}: {q.get('average', '')} {q.get('texts', '')}")
    for p in res["providers"]:
        print(f"    provider {p['name']}: {p['responses']} responses, {p.get('average', '—')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("KEHOU_URL", "http://127.0.0.1:5000"))
    api = Client(parser.parse_args().base_url)

    step(1, "The office signs in and creates a survey of the current term")
    try:
        office = api.office()
    except urllib.error.URLError as exc:
        print(f"cannot reach {api.base} ({exc.reason}); start the server with scripts/dev first")
        return 1
    school = api.call("GET", "/admin/api/v1/schools", office)[0]
    sid = school["id"]
    term = current_term(api, office, sid)
    if term is None:
        print("    no term covers today: run scripts/demo first")
        return 1
    moment = datetime.now(UTC)
    survey = api.call(
        "POST",
        f"/admin/api/v1/schools/{sid}/terms/{term['id']}/surveys",
        office,
        {
            "title": f"{term['name']}满意度测评",
            "opens_at": iso(moment - timedelta(minutes=1)),
            "closes_at": iso(moment + timedelta(days=7)),
            "questions": QUESTIONS,
        },
    )
    print(f"    survey #{survey['id']} 「{survey['title']}」 open until {survey['closes_at']}")

    step(2, "The demo parent (login code demo-parent) sees it for an enrolled child")
    parent = api.wechat("parent")
    mine = None
    for child in api.call("GET", "/api/v1/me/children", parent):
        listed = api.call("GET", f"/api/v1/surveys?student_id={child['student_id']}", parent)
        mine = next((s for s in listed if s["id"] == survey["id"]), None)
        if mine:
            break
    if mine is None:
        print("    no child of the demo parent is enrolled in this term: run scripts/demo first")
        return 2
    names = "、".join(s["name"] for s in mine["subjects"])
    print(f"    {child['name']}: rate {names}; answered: {mine['answered']}")

    step(3, "The parent answers (once per child; nothing identifying is kept with it)")
    body = {"student_id": child["student_id"], "answers": answers_for(mine)}
    done = api.call("POST", f"/api/v1/surveys/{survey['id']}/responses", parent, body)
    print(f"    answered: {done['answered']}")
    try:
        api.call("POST", f"/api/v1/surveys/{survey['id']}/responses", parent, body)
    except ApiError as exc:
        print(f"    a second answer: {exc}")

    step(4, "The office reads the results (open, under 5 responses: counts only)")
    res = api.call("GET", f"/admin/api/v1/schools/{sid}/surveys/{survey['id']}/results", office)
    show_results(res)
    status, book = api.raw(
        "GET", f"/admin/api/v1/schools/{sid}/surveys/{survey['id']}/results/export", office
    )
    print(f"    .xlsx export: {status}, {len(book)} bytes")
    providers = api.call("GET", f"/admin/api/v1/schools/{sid}/providers", office)
    flagged = [p["name"] for p in providers if p.get("low_satisfaction")]
    print(f"    providers flagged low_satisfaction: {flagged or 'none'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ApiError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        sys.exit(1)
