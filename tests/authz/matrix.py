"""The authorization matrix as data: every endpoint of both APIs x every role -> status.

Placeholders ({student_id}, {term_id}, ...) resolve to school A's objects (world.py);
roles.py holds the vocabulary, admin_matrix.py the admin API's rows.
An expectation is OK (the caller may use the endpoint: anything but 401/403/404 and
5xx, so a 409/422 for a dummy body is fine), a status, or (status, error code) when the
answer is a business rule rather than the authorization layer. 401 for no token and for
the other audience's token (an admin on the app API, a user on the admin API); 403 when
the caller's roles cannot use the endpoint at all; 404 when the object lies outside
their scope. Bodies are valid enough that the scope decides, not the schema.

`sees`: the roles that may read school A's target pupil (name, student number, the
guardian's phone); every other role's answer must not contain them.
"""

from __future__ import annotations

from tests.authz import domains
from tests.authz.admin_matrix import ADMIN_ROWS
from tests.authz.roles import (
    A_PEOPLE,
    CC,
    GA,
    GC,
    GO,
    GTA,
    GTB,
    GUARDIANS,
    HT,
    HTO,
    NOT_GATE,
    NOT_TEACHERS,
    SB,
    SC,
    USERS,
    app,
    public,
)
from tests.images import JPEG

S = "/admin/api/v1/schools/{school_id}"
T = S + "/terms/{term_id}"
ANY_USER = USERS
LOTTERY = {"term_id": "lottery_term_id"}
REVIEW_CLASS = {"term_id": "{term_id}", "level": "class"}
DECIDE = {
    "level": "class",
    "decisions": [{"application_id": "{submitted_application_id}", "decision": "approve"}],
}
CONFLICT = (409, "review_conflict")
APP_ROWS = [
    # --- sign-in and me: every signed-in user, about themselves -----------------------------
    public("POST", "/api/v1/auth/wechat-login", 401, "wechat_code_invalid", json={"code": "nope"}),
    public(
        "POST",
        "/api/v1/auth/refresh",
        401,
        "refresh_token_invalid",
        json={"refresh_token": "nope"},
    ),
    public(
        "POST",
        "/api/v1/payments/wechat/notify",
        401,
        None,
        json={"id": "x", "resource": {}},
        note="WeChat Pay's own error format; an unsigned notification is refused",
    ),
    app("POST", "/api/v1/auth/logout", ANY_USER, sees=()),
    app("POST", "/api/v1/auth/phone", ANY_USER, json={"code": "nope"}, sees=()),
    app(
        "POST",
        "/api/v1/auth/role-binding",
        ANY_USER,
        json={"binding_code": "{binding_code}"},
        sees=(),
    ),
    app("GET", "/api/v1/me", ANY_USER, sees=(GA,)),
    app("DELETE", "/api/v1/me", ANY_USER, sees=()),
    app("GET", "/api/v1/me/children", ANY_USER, sees=(GA,)),
    app(
        "POST",
        "/api/v1/me/children",
        (GA,),
        rest=(403, "binding_not_verified"),
        json={"student_no": "ZA900001", "name": "欧阳靖宇"},
        note="anyone may try to bind; only a roster phone or a pupil code succeeds",
    ),
    app("DELETE", "/api/v1/me/children/{student_id}", (GA,)),
    app("GET", "/api/v1/me/data-export", ANY_USER, sees=(GA,)),
    app("GET", "/api/v1/me/data-deletion-requests", ANY_USER, sees=(GA,)),
    app(
        "POST",
        "/api/v1/me/data-deletion-requests",
        (GA,),
        json={"student_id": "{student_id}", "reason": "x"},
    ),
    # --- terms -----------------------------------------------------------------------------
    app("GET", "/api/v1/terms", ANY_USER, sees=()),
    app("GET", "/api/v1/terms/{term_id}", A_PEOPLE),
    app("GET", "/api/v1/terms/{term_id}/calendar", A_PEOPLE),
    # --- sign-up ---------------------------------------------------------------------------
    app("GET", "/api/v1/applications", ANY_USER, sees=(GA,)),
    app(
        "POST",
        "/api/v1/applications",
        (GA,),
        json={
            "term_id": "{term_id}",
            "student_id": "{student_id}",
            "agreement_id": "{agreement_id}",
            "agree": True,
        },
    ),
    app("GET", "/api/v1/applications/{application_id}", (GA,)),
    app("POST", "/api/v1/applications/{application_id}/withdraw", (GA,), json={}),
    app("POST", "/api/v1/applications/{application_id}/resubmit", (GA,), json={}),
    app(
        "GET",
        "/api/v1/reviews",
        (HT, HTO, CC),
        forbidden=(*GUARDIANS, GC, SC, GTA, GTB),
        query=REVIEW_CLASS,
        sees=(HT, CC),
    ),
    app(
        "POST",
        "/api/v1/reviews",
        (HT, CC),
        forbidden=(*GUARDIANS, GC, SC, GTA, GTB),
        also={HTO: CONFLICT, SB: CONFLICT},
        json=DECIDE,
        note="all or nothing: an application outside the reviewer's scope is a review_conflict",
    ),
    app(
        "GET",
        "/api/v1/reviews/summary",
        (HT, HTO, CC, GC, SC),
        forbidden=(*GUARDIANS, GTA, GTB),
        query={"term_id": "{term_id}"},
    ),
    app(
        "GET",
        "/api/v1/reviews/export",
        (HT, HTO, CC),
        forbidden=(*GUARDIANS, GC, SC, GTA, GTB),
        query=REVIEW_CLASS,
        sees=(HT, CC),
    ),
    app("GET", "/api/v1/terms/{term_id}/publication", A_PEOPLE, sees=()),
    app(
        "POST",
        "/api/v1/terms/{term_id}/publication",
        (SC,),
        forbidden=(*GUARDIANS, HT, HTO, CC, GC, GTA, GTB, SB),
    ),
    app(
        "POST",
        "/api/v1/terms/{term_id}/publication/objections",
        (GA, GO),
        forbidden=(HT, HTO, CC, GC, SC, GTA),
        json={"text": "名单有误"},
    ),
    # --- courses ---------------------------------------------------------------------------
    app("GET", "/api/v1/terms/{term_id}/courses", (GA,), query={"student_id": "{student_id}"}),
    app("GET", "/api/v1/selections", (GA,), query={"student_id": "{student_id}"}),
    app(
        "POST",
        "/api/v1/selections",
        (GA,),
        json={"student_id": "{student_id}", "course_id": "{free_course_id}"},
    ),
    app("DELETE", "/api/v1/selections/{selection_id}", (GA,)),
    app(
        "GET",
        "/api/v1/students/{student_id}/timetable",
        (GA,),
        query={"term_id": "{term_id}"},
    ),
    app(
        "GET",
        "/api/v1/classes/{class_id}/courses",
        (HT,),
        forbidden=NOT_TEACHERS,
        query={"term_id": "{term_id}"},
    ),
    app("GET", "/api/v1/terms/{term_id}/preferences/{student_id}", (GA,), use=LOTTERY),
    app(
        "PUT",
        "/api/v1/terms/{term_id}/preferences/{student_id}",
        (GA,),
        json={"course_ids": ["{lottery_course_id}"]},
        use=LOTTERY,
    ),
    app("GET", "/api/v1/terms/{term_id}/lottery", A_PEOPLE, sees=(), use=LOTTERY),
    app("GET", "/api/v1/terms/{term_id}/lottery/inputs", A_PEOPLE, sees=(), use=LOTTERY),
    # --- pickup: the guardian's side ------------------------------------------------------
    app("GET", "/api/v1/students/{student_id}/pickup-persons", (GA,)),
    app(
        "POST",
        "/api/v1/students/{student_id}/pickup-persons",
        (GA,),
        json={"name": "张阿姨", "relation": "other", "phone": "13811112222"},
    ),
    app("DELETE", "/api/v1/students/{student_id}/pickup-persons/{person_id}", (GA,)),
    app("GET", "/api/v1/students/{student_id}/pickup-persons/{person_id}/photo", (GA, HT, GTA)),
    app(
        "POST",
        "/api/v1/students/{student_id}/pickup-persons/{person_id}/photo",
        (GA,),
        form={"file": JPEG},
    ),
    app("GET", "/api/v1/students/{student_id}/self-leave", (GA,)),
    app("PUT", "/api/v1/students/{student_id}/self-leave", (GA,), json={"allowed": False}),
    app("GET", "/api/v1/pickup-notices", (GA,), query={"student_id": "{student_id}"}),
    app(
        "POST",
        "/api/v1/pickup-notices",
        (GA,),
        json={"student_id": "{student_id}", "date": "{day}", "kind": "absent"},
    ),
    app("DELETE", "/api/v1/pickup-notices/{notice_id}", (GA,)),
    app(
        "POST",
        "/api/v1/students/{student_id}/handoff-codes",
        (GA,),
        json={"pickup_person_id": "{person_id}"},
    ),
    app("GET", "/api/v1/leave-requests", (GA,), query={"student_id": "{student_id}"}),
    app(
        "POST",
        "/api/v1/leave-requests",
        (GA,),
        json={"student_id": "{student_id}", "dates": ["{day}"], "reason": "事假"},
    ),
    app("DELETE", "/api/v1/leave-requests/{leave_id}", (GA,)),
    # --- pickup: the head teacher's side --------------------------------------------------
    app("POST", "/api/v1/pickup-notices/{notice_id}/acknowledge", (HT,), forbidden=NOT_TEACHERS),
    app(
        "POST",
        "/api/v1/leave-requests/{leave_id}/decision",
        (HT,),
        forbidden=NOT_TEACHERS,
        json={"decision": "approve"},
    ),
    app("GET", "/api/v1/classes/{class_id}/dismissal", (HT,), forbidden=NOT_TEACHERS),
    app("GET", "/api/v1/classes/{class_id}/dismissal/overdue", (HT,), forbidden=NOT_TEACHERS),
    app(
        "POST",
        "/api/v1/classes/{class_id}/dismissal/{student_id}/release",
        (HT,),
        forbidden=NOT_TEACHERS,
        json={},
    ),
    app("GET", "/api/v1/classes/{class_id}/attendance", (HT,), forbidden=NOT_TEACHERS),
    app(
        "PUT",
        "/api/v1/classes/{class_id}/attendance",
        (HT,),
        forbidden=NOT_TEACHERS,
        json={"records": [{"student_id": "{student_id}", "status": "present"}]},
    ),
    # --- pickup: the gate ------------------------------------------------------------------
    app("POST", "/api/v1/gate/verify", (GTA,), forbidden=NOT_GATE, json={"qr_token": "{qr_token}"}),
    app(
        "POST",
        "/api/v1/gate/handoffs",
        (GTA,),
        forbidden=NOT_GATE,
        json={"qr_token": "{qr_token}", "outcome": "released"},
    ),
    # --- fees and payments -----------------------------------------------------------------
    app("GET", "/api/v1/students/{student_id}/statements", (GA,)),
    app("GET", "/api/v1/statements/{statement_id}", (GA,)),
    app("POST", "/api/v1/statements/{statement_id}/payments", (GA,)),
    app("GET", "/api/v1/students/{student_id}/exemptions", (GA,)),
    app(
        "POST",
        "/api/v1/students/{student_id}/exemptions",
        (GA,),
        json={"term_id": "{term_id}", "category": "orphan", "evidence_note": "x"},
    ),
    app("GET", "/api/v1/schools/{school_id}/disclosures", A_PEOPLE, sees=()),
]

ROWS = APP_ROWS + ADMIN_ROWS + domains.rows()
