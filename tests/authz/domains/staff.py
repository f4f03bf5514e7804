"""Matrix rows of staff hours and pay (R17), and each school's staff objects.

The course-teacher endpoints are refused to every role of the matrix (none holds a
course_teacher grant); tests/staff covers the course teachers who may use them.
"""

from __future__ import annotations

from tests.authz.roles import HT, NOT_TEACHERS, USERS, admin, app

S = "/admin/api/v1/schools/{school_id}"
T = S + "/terms/{term_id}"
SHEET = {"sheet_id": "pay_sheet_id"}
MARKS = {"records": [{"student_id": "{student_id}", "status": "present"}]}

ROWS = [
    app("GET", "/api/v1/courses/{course_id}/roster", (), forbidden=USERS, query={"date": "{day}"}),
    app(
        "PUT",
        "/api/v1/courses/{course_id}/attendance",
        (),
        forbidden=USERS,
        query={"date": "{day}"},
        json=MARKS,
    ),
    app("GET", "/api/v1/classes/{class_id}/course-attendance", (HT,), forbidden=NOT_TEACHERS),
    admin("GET", S + "/staff"),
    admin("POST", S + "/staff", json={"name": "新老师", "kind": "teacher"}),
    admin("GET", S + "/courses/{course_id}/staff"),
    admin("PUT", S + "/courses/{course_id}/staff", json={"staff_ids": ["{staff_id}"]}),
    admin(
        "PUT",
        S + "/providers/{provider_id}/pay-terms",
        json={"mode": "package", "package_monthly_fen": 100000},
    ),
    admin("GET", S + "/staff-hours"),
    admin(
        "POST",
        S + "/staff-hours",
        json={"staff_id": "{staff_id}", "date": "{day}", "minutes": 60, "duty": "supervision"},
    ),
    admin(
        "POST",
        S + "/staff-hours/{entry_id}/corrections",
        json={"reason": "更正", "minutes": 30},
        use={"entry_id": "staff_hours_id"},
    ),
    admin("GET", T + "/pay-rates"),
    admin(
        "PUT",
        T + "/pay-rates",
        json={
            "teaching_per_lesson_fen": 8000,
            "supervision_per_hour_fen": 3000,
            "admin_monthly_fen": 0,
        },
    ),
    admin("GET", T + "/pay-sheets"),
    admin("POST", T + "/pay-sheets", json={"period": "{period}"}),
    admin("GET", T + "/pay-sheets/{sheet_id}", use=SHEET),
    admin("POST", T + "/pay-sheets/{sheet_id}/approve", use=SHEET),
    admin("GET", T + "/pay-sheets/{sheet_id}/export", use=SHEET),
    admin("GET", T + "/spending-ledger/export"),
]


def build(school, db) -> None:
    """A teacher teaching the school's course, a supervision entry, rates, a draft sheet."""
    s = school
    staff = s.call(
        "POST", s.admin("/staff"), "office", 201, json={"name": "授课老师", "kind": "teacher"}
    )
    s.staff_id = staff["id"]
    s.call(
        "PUT",
        s.admin(f"/courses/{s.course.id}/staff"),
        "office",
        200,
        json={"staff_ids": [s.staff_id]},
    )
    entry = s.call(
        "POST",
        s.admin("/staff-hours"),
        "office",
        201,
        json={"staff_id": s.staff_id, "date": str(s.today), "minutes": 90, "duty": "supervision"},
    )
    s.staff_hours_id = entry["id"]
    rates = {"teaching_per_lesson_fen": 8000, "supervision_per_hour_fen": 3000}
    s.call(
        "PUT",
        s.admin(f"/terms/{s.term.id}/pay-rates"),
        "office",
        200,
        json={**rates, "admin_monthly_fen": 0},
    )
    sheet = s.call(
        "POST", s.admin(f"/terms/{s.term.id}/pay-sheets"), "office", 201, json={"period": s.period}
    )
    s.pay_sheet_id = sheet["id"]


def ids(school) -> dict:
    return {
        "staff_id": school.staff_id,
        "staff_hours_id": school.staff_hours_id,
        "pay_sheet_id": school.pay_sheet_id,
    }
