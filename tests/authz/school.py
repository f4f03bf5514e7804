"""One school of the authorization world: its people, objects and tokens, built in parts."""

from __future__ import annotations

import hashlib
import io
from datetime import time, timedelta

import sqlalchemy as sa

from backend.common.clock import now, today
from backend.schools.models import RosterGuardian
from backend.terms.calendar import is_service_day
from backend.terms.models import CalendarOverride
from tests import factories as f
from tests.images import JPEG

# Cut-off and service end late in the evening: "before the cutoff" whenever tests run.
LATE = time(23, 59, 59)
# The target pupil of each school: distinctive, so a response that leaks them is visible.
TARGET = {"a": ("欧阳靖宇", "ZA900001"), "b": ("司马明哲", "ZB900001")}
LOTTERY_SEED = "authz-matrix-seed"


def _ok(r, *codes):
    assert r.status_code in (codes or (200, 201, 204)), (r.request.path, r.status_code, r.json)
    return r.json


class School:
    """One school's people, objects and tokens (ids only, safe across sessions)."""

    def __init__(self, key: str, db, client, base: dict):
        self.key, self.db, self.client = key, db, client
        self.school = base["school"]
        self.sid = self.school.id
        c1, c2 = base["classes"]
        self.class_id, self.other_class_id = c1.id, c2.id
        self.grade_id = base["grade"].id
        kid, classmate, other_kid = base["kids"]
        kid.name, kid.student_no = TARGET[key]
        db.add(
            RosterGuardian(
                student_id=kid.id, name="家长", phone=base["parent"].phone, relation="mother"
            )
        )
        self.kid, self.classmate, self.other_kid = kid, classmate, other_kid
        self.users = {
            "guardian": base["parent"],
            "head_teacher": base["teacher"],
            "gate": base["gate"],
            "class_committee": base["committee"]["class"],
            "grade_committee": base["committee"]["grade"],
            "school_committee": base["committee"]["school"],
        }
        neighbour = f.user(db, phone=f"136{f.n():08d}")
        f.guardian_of(db, neighbour, classmate)
        self.users["guardian_other"] = neighbour
        other_teacher = f.user(db)
        f.grant(db, other_teacher, self.school, "head_teacher", class_id=c2.id)
        self.users["head_teacher_other_class"] = other_teacher
        self.office = base["office"]
        self.guardian_phone = base["parent"].phone
        db.flush()

    # -- helpers -------------------------------------------------------------------------
    def h(self, who: str) -> dict:
        return self.tokens[who]

    def admin(self, path: str) -> str:
        return f"/admin/api/v1/schools/{self.sid}{path}"

    def call(self, method, url, who, *codes, **kw):
        self.db.commit()  # end our own read: SQLite's BEGIN IMMEDIATE would block the app
        r = self.client.open(url, method=method, headers=self.h(who), **kw)
        return _ok(r, *codes)

    # -- the parts -----------------------------------------------------------------------
    def terms(self):
        db = self.db
        self.term = f.term(db, self.school, pickup_cutoff_time=LATE, service_end_time=LATE)
        self.agreement = f.agreement(db, self.term)
        self.lottery_term = f.term(db, self.school, selection_mode="lottery")
        f.agreement(db, self.lottery_term)
        day = today()
        if not is_service_day(db, self.term, day):
            db.add(CalendarOverride(term_id=self.term.id, day=day, is_service_day=True))
        self.today = day

    def applications(self):
        db, t = self.db, self.term
        g = self.users
        self.app_enrolled = f.application(db, t, self.kid, g["guardian"], state="enrolled")
        self.app_submitted = f.application(db, t, self.classmate, g["guardian_other"])
        posted_kid = f.student(db, self.school_class(self.class_id))
        self.app_approved = f.application(db, t, posted_kid, g["guardian_other"], state="approved")
        f.enrolled(db, self.lottery_term, self.kid, g["guardian"])
        db.commit()
        pub = self.call("POST", self.admin(f"/terms/{t.id}/publication"), "office", 201)
        self.publication_id = pub["id"]
        obj = self.call(
            "POST",
            f"/api/v1/terms/{t.id}/publication/objections",
            "guardian",
            201,
            json={"text": "请核实", "application_id": self.app_approved.id},
        )
        self.objection_id = obj["id"]
        for state, level in (
            ("rejected", None),
            ("withdrawn", None),
            ("class_approved", "grade"),
            ("grade_approved", "school"),
        ):
            kid = f.student(db, self.school_class(self.class_id))
            f.application(db, t, kid, g["guardian_other"], state=state, level=level or "class")
        f.application(db, t, self.other_kid, g["guardian_other"])
        db.commit()

    def school_class(self, class_id):
        from backend.schools.models import SchoolClass

        return self.db.get(SchoolClass, class_id)

    def courses(self):
        db = self.db
        self.provider = f.provider(db, self.school)
        self.course = f.course(db, self.term, provider_id=self.provider.id, fee_fen=3000)
        self.course_free = f.course(db, self.term, weekdays=[2, 4])
        self.lottery_course = f.course(db, self.lottery_term)
        db.commit()
        sel = self.call(
            "POST",
            "/api/v1/selections",
            "guardian",
            201,
            json={"student_id": self.kid.id, "course_id": self.course.id},
        )
        self.selection_id = sel["id"]
        self.call(
            "PUT",
            f"/api/v1/terms/{self.lottery_term.id}/preferences/{self.kid.id}",
            "guardian",
            200,
            json={"course_ids": [self.lottery_course.id]},
        )
        seed_hash = hashlib.sha256(LOTTERY_SEED.encode()).hexdigest()
        lt = self.lottery_term.id
        self.call(
            "POST",
            self.admin(f"/terms/{lt}/lottery/commit"),
            "office",
            201,
            200,
            json={"seed_hash": seed_hash},
        )
        self.lottery_term.selection_closes_at = now() - timedelta(minutes=1)
        db.commit()
        self.call(
            "POST",
            self.admin(f"/terms/{lt}/lottery/draw"),
            "office",
            200,
            201,
            json={"seed": LOTTERY_SEED},
        )
        # the lottery term has no statements: settled, so its settlement can be read
        self.call("POST", self.admin(f"/terms/{lt}/settlement"), "office", 200, 201)

    def pickup(self):
        sid, day = self.kid.id, str(self.today)
        person = self.call(
            "POST",
            f"/api/v1/students/{sid}/pickup-persons",
            "guardian",
            201,
            json={"name": "王奶奶", "relation": "grandmother", "phone": f"135{f.n():08d}"},
        )
        self.person_id = person["id"]
        self.call(
            "POST",
            f"/api/v1/students/{sid}/pickup-persons/{self.person_id}/photo",
            "guardian",
            200,
            data={"file": (io.BytesIO(JPEG), "p.jpg")},
            content_type="multipart/form-data",
        )
        self.call("PUT", f"/api/v1/students/{sid}/self-leave", "guardian", json={"allowed": True})
        notice = self.call(
            "POST",
            "/api/v1/pickup-notices",
            "guardian",
            201,
            json={"student_id": sid, "date": day, "kind": "regular"},
        )
        self.notice_id = notice["id"]
        code = self.call(
            "POST",
            f"/api/v1/students/{sid}/handoff-codes",
            "guardian",
            201,
            json={"pickup_person_id": self.person_id},
        )
        self.qr_token, self.code = code["qr_token"], code["code"]
        leave = self.call(
            "POST",
            "/api/v1/leave-requests",
            "guardian",
            201,
            json={"student_id": sid, "dates": [day], "reason": "看病"},
        )
        self.leave_id = leave["id"]
        # a finished handoff of another family's pupil, and an attendance sheet of the class
        handed = f.student(self.db, self.school_class(self.class_id))
        f.guardian_of(self.db, self.users["guardian_other"], handed)
        f.enrolled(self.db, self.term, handed, self.users["guardian_other"])
        self.db.commit()
        mate = self.handed_id = handed.id
        other = self.call(
            "POST",
            f"/api/v1/students/{mate}/pickup-persons",
            "guardian_other",
            201,
            json={"name": "李爷爷", "relation": "grandfather", "phone": f"135{f.n():08d}"},
        )
        used = self.call(
            "POST",
            f"/api/v1/students/{mate}/handoff-codes",
            "guardian_other",
            201,
            json={"pickup_person_id": other["id"]},
        )
        self.call(
            "POST",
            "/api/v1/gate/handoffs",
            "gate",
            201,
            json={"qr_token": used["qr_token"], "outcome": "released"},
        )
        self.call(
            "PUT",
            f"/api/v1/classes/{self.class_id}/attendance",
            "head_teacher",
            json={"records": [{"student_id": sid, "status": "present"}]},
        )

    def fees(self):
        period = self.today.strftime("%Y-%m")
        tid = self.term.id
        self.period = period
        self.call(
            "POST",
            self.admin(f"/terms/{tid}/statements/generate"),
            "office",
            200,
            201,
            json={"period": period},
        )
        self.call(
            "POST",
            self.admin(f"/terms/{tid}/statements/issue"),
            "office",
            200,
            201,
            json={"period": period},
        )
        from backend.fees.models import Refund, Statement

        self.db.expire_all()
        st = self.db.scalar(
            sa.select(Statement).where(
                Statement.student_id == self.kid.id, Statement.status != "void"
            )
        )
        self.statement_id = st.id
        self.call(
            "POST",
            self.admin(f"/statements/{st.id}/payments"),
            "office",
            201,
            json={
                "amount_fen": 100,
                "paid_on": str(self.today),
                "reference": f"R{self.key}",
                "method": "cash",
            },
        )
        self.call(
            "POST",
            self.admin(f"/statements/{st.id}/refunds"),
            "office",
            201,
            200,
            json={"amount_fen": 10, "reason": "多收"},
        )
        self.refund_id = self.db.scalar(
            sa.select(Refund.id).where(Refund.statement_id == st.id).order_by(Refund.id.desc())
        )
        ex = self.call(
            "POST",
            f"/api/v1/students/{self.kid.id}/exemptions",
            "guardian",
            201,
            json={"term_id": tid, "category": "dibao", "evidence_note": "低保证"},
        )
        self.exemption_id = ex["id"]
        self.call(
            "POST",
            self.admin(f"/terms/{tid}/expenses"),
            "office",
            201,
            json={"category": "staff", "amount_fen": 500, "spent_on": str(self.today)},
        )
        disc = self.call(
            "POST",
            self.admin(f"/terms/{tid}/disclosures"),
            "office",
            201,
            200,
            json={"period": period},
        )
        self.disclosure_id = disc["id"]
        self.call("POST", f"/api/v1/statements/{st.id}/payments", "guardian", 201)

    def privacy_and_staff(self):
        req = self.call(
            "POST",
            "/api/v1/me/data-deletion-requests",
            "guardian",
            201,
            json={"student_id": self.kid.id, "reason": "转学"},
        )
        self.deletion_request_id = req["id"]
        grant = self.call(
            "POST",
            self.admin("/role-grants"),
            "office",
            201,
            json={"role": "gate_staff", "name": "备用门卫"},
        )
        self.grant_id, self.grant_code = grant["id"], grant["binding_code"]
        code = self.call(
            "POST",
            self.admin(f"/students/{self.kid.id}/binding-codes"),
            "office",
            201,
            json={"relation": "father"},
        )
        self.pupil_binding_code = code.get("binding_code")
