"""Matrix rows and world objects of the complaint channel (R16).

Per school: a complaint of guardian A about their child (submitted), an accepted one
(for the office's reply), an answered one (for the filer's feedback) and an overdue one
(for escalation).
"""

from __future__ import annotations

from datetime import timedelta

from backend.common.clock import now
from backend.complaints.models import Complaint
from tests.authz.roles import GA, USERS, admin, app

C = "/admin/api/v1/schools/{school_id}/complaints"

ROWS = [
    app("GET", "/api/v1/complaints", USERS, sees=()),
    app(
        "POST",
        "/api/v1/complaints",
        (GA,),
        json={
            "school_id": "{school_id}",
            "category": "safety",
            "text": "放学时门口秩序混乱",
            "student_id": "{student_id}",
        },
    ),
    app("GET", "/api/v1/complaints/{complaint_id}", (GA,), sees=()),
    app(
        "POST",
        "/api/v1/complaints/{complaint_id}/escalate",
        (GA,),
        use={"complaint_id": "overdue_complaint_id"},
    ),
    app(
        "POST",
        "/api/v1/complaints/{complaint_id}/feedback",
        (GA,),
        json={"satisfied": False, "comment": "没有解决"},
        use={"complaint_id": "replied_complaint_id"},
    ),
    admin("GET", C, query={"status": "submitted"}),
    admin("GET", C + "/summary"),
    admin("GET", C + "/export"),
    admin("GET", C + "/{complaint_id}"),
    admin("POST", C + "/{complaint_id}/accept"),
    admin(
        "POST",
        C + "/{complaint_id}/reply",
        json={"text": "已加派人手维持秩序", "resolution": "resolved"},
        use={"complaint_id": "accepted_complaint_id"},
    ),
]


def _file(school, text: str) -> int:
    body = {"school_id": school.sid, "category": "safety", "text": text}
    body["student_id"] = school.kid.id
    return school.call("POST", "/api/v1/complaints", "guardian", 201, json=body)["id"]


def build(school, db) -> None:
    """Four complaints of guardian A in each of their states of interest."""
    school.complaint_id = _file(school, "门口秩序")
    school.accepted_complaint_id = _file(school, "作业辅导")
    school.replied_complaint_id = _file(school, "收费")
    school.overdue_complaint_id = _file(school, "安全")
    for cid in (school.accepted_complaint_id, school.replied_complaint_id):
        school.call("POST", school.admin(f"/complaints/{cid}/accept"), "office", 200)
    school.call(
        "POST",
        school.admin(f"/complaints/{school.replied_complaint_id}/reply"),
        "office",
        200,
        json={"text": "已核实", "resolution": "rejected"},
    )
    overdue = db.get(Complaint, school.overdue_complaint_id)
    overdue.due_at = now() - timedelta(days=1)
    db.commit()


def ids(school) -> dict:
    return {
        "complaint_id": school.complaint_id,
        "accepted_complaint_id": school.accepted_complaint_id,
        "replied_complaint_id": school.replied_complaint_id,
        "overdue_complaint_id": school.overdue_complaint_id,
    }
