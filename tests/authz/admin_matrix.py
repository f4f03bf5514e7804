"""The admin API's rows of the matrix (see matrix.py for what an expectation means)."""

from __future__ import annotations

from tests.authz.roles import ADMINS, PL, admin, public

S = "/admin/api/v1/schools/{school_id}"
T = S + "/terms/{term_id}"
LOTTERY = {"term_id": "lottery_term_id"}
NEW_TERM = {
    "name": "2027年春季学期",
    "starts_on": "2027-02-20",
    "ends_on": "2027-06-30",
    "signup_opens_at": "2027-02-01T08:00:00+08:00",
    "signup_closes_at": "2027-02-10T18:00:00+08:00",
    "selection_mode": "fcfs",
    "selection_opens_at": "2027-02-12T08:00:00+08:00",
    "selection_closes_at": "2027-02-15T18:00:00+08:00",
    "publicity_days": 3,
    "max_courses_per_student": 2,
    "billing_mode": "monthly",
    "base_fee_fen": 6000,
    "service_end_time": "17:30",
    "pickup_cutoff_time": "15:00",
}
NEW_COURSE = {
    "name": "围棋",
    "category": "棋类",
    "kind": "enrichment",
    "weekdays": [5],
    "start_time": "16:00",
    "end_time": "17:00",
    "capacity": 20,
    "min_grade": 1,
    "max_grade": 6,
    "fee_fen": 0,
}
MONEY_IN = {"amount_fen": 5, "paid_on": "{day}", "reference": "MX", "method": "cash"}
NOT_XLSX = b"this is not a workbook"


ADMIN_ROWS = [
    # --- the office's own account -----------------------------------------------------------
    public(
        "POST",
        "/admin/api/v1/auth/login",
        401,
        "invalid_credentials",
        json={"username": "nobody", "password": "wrong-password-1"},
    ),
    admin("POST", "/admin/api/v1/auth/logout", ADMINS),
    admin("GET", "/admin/api/v1/auth/me", ADMINS),
    admin(
        "POST",
        "/admin/api/v1/auth/password",
        ADMINS,
        json={"current_password": "wrong-password-1", "new_password": "Another-passw0rd!"},
    ),
    admin("POST", "/admin/api/v1/auth/totp/setup", ADMINS),
    admin("POST", "/admin/api/v1/auth/totp/confirm", ADMINS, json={"otp": "000000"}),
    # --- schools: the platform creates them and their admins -------------------------------
    admin("GET", "/admin/api/v1/schools", ADMINS, sees=()),
    admin("POST", "/admin/api/v1/schools", (PL,), rest=403, json={"name": "新校", "code": "NEW1"}),
    admin("GET", S),
    admin("GET", S + "/admins"),
    admin(
        "POST",
        S + "/admins",
        (PL,),
        rest=403,
        json={"username": "newoffice", "password": "A-strong-passw0rd!"},
    ),
    admin("PUT", S + "/fee-cap", (PL,), rest=403, json={"monthly_fee_cap_fen": 8000}),
    # --- roster ----------------------------------------------------------------------------
    admin("GET", S + "/grades"),
    admin("POST", S + "/grades", json={"name": "九年级", "level": 9}),
    admin("GET", S + "/classes"),
    admin("POST", S + "/classes", json={"grade_id": "{grade_id}", "name": "新班"}),
    admin("GET", S + "/students"),
    admin(
        "POST",
        S + "/students",
        json={
            "student_no": "N0001",
            "name": "新同学",
            "class_id": "{class_id}",
            "guardians": [{"name": "家长", "phone": "13900001111", "relation": "mother"}],
        },
    ),
    admin("GET", S + "/students/{student_id}"),
    admin("PATCH", S + "/students/{student_id}", json={"name": "欧阳靖宇"}),
    admin("POST", S + "/students/{student_id}/binding-codes", json={"relation": "father"}),
    admin("POST", S + "/students/import", form={"file": NOT_XLSX}),
    admin("GET", S + "/students/import-template", sees=()),
    admin("GET", S + "/role-grants"),
    admin("POST", S + "/role-grants", json={"role": "gate_staff", "name": "门卫"}),
    admin("DELETE", S + "/role-grants/{grant_id}"),
    # --- terms -----------------------------------------------------------------------------
    admin("GET", S + "/terms"),
    admin("POST", S + "/terms", json=NEW_TERM),
    admin("GET", T),
    admin("PATCH", T, json={"name": "改名学期"}),
    admin("GET", T + "/agreements"),
    admin("POST", T + "/agreements", json={"title": "协议", "body": "新版本"}),
    admin("GET", T + "/calendar"),
    admin("PUT", T + "/calendar/{day}", json={"is_service_day": True}),
    # --- sign-up ---------------------------------------------------------------------------
    admin("GET", T + "/applications"),
    admin("GET", T + "/applications/{application_id}"),
    admin("GET", T + "/applications/export"),
    admin("GET", T + "/applications/summary"),
    admin("POST", T + "/publication"),
    admin("POST", T + "/publication/finalize"),
    admin("GET", S + "/objections"),
    admin("POST", S + "/objections/{objection_id}/uphold", json={"response": "已核实"}),
    admin("POST", S + "/objections/{objection_id}/dismiss", json={"response": "无误"}),
    # --- courses ---------------------------------------------------------------------------
    admin("GET", S + "/providers"),
    admin(
        "POST",
        S + "/providers",
        json={"name": "新机构", "licence_no": "L999", "qualification": "办学许可证"},
    ),
    admin("GET", S + "/providers/{provider_id}"),
    admin("PATCH", S + "/providers/{provider_id}", json={"contact": "王老师"}),
    admin("POST", S + "/providers/{provider_id}/blacklist", json={"reason": "违规收费"}),
    admin("GET", T + "/courses"),
    admin("POST", T + "/courses", json=NEW_COURSE),
    admin("GET", T + "/courses/balance"),
    admin("GET", T + "/courses/{course_id}"),
    admin("PATCH", T + "/courses/{course_id}", json={"capacity": 40}),
    admin("GET", T + "/courses/{course_id}/roster"),
    admin("GET", T + "/courses/{course_id}/roster/export"),
    admin("GET", T + "/lottery", use=LOTTERY),
    admin("POST", T + "/lottery/commit", json={"seed_hash": "a" * 64}, use=LOTTERY),
    admin("POST", T + "/lottery/draw", json={"seed": "not-the-committed-seed"}, use=LOTTERY),
    # --- fees and payments -----------------------------------------------------------------
    admin("POST", T + "/statements/generate", json={"period": "{period}"}),
    admin("POST", T + "/statements/issue", json={"period": "{period}"}),
    admin("GET", S + "/statements"),
    admin("GET", S + "/statements/export"),
    admin("GET", S + "/statements/{statement_id}"),
    admin("POST", S + "/statements/{statement_id}/issue"),
    admin("POST", S + "/statements/{statement_id}/reissue", json={"reason": "更正"}),
    admin(
        "POST",
        S + "/statements/{statement_id}/adjustments",
        json={"amount_fen": 5, "description": "调整"},
    ),
    admin("POST", S + "/statements/{statement_id}/payments", json=MONEY_IN),
    admin("POST", S + "/statements/{statement_id}/refunds", json={"amount_fen": 5, "reason": "x"}),
    admin("POST", S + "/refunds/{refund_id}/complete", json={"outcome": "failed"}),
    admin("POST", S + "/refunds/{refund_id}/wechat"),
    admin("GET", S + "/reconciliations", query={"date": "{day}"}, sees=()),
    admin("GET", S + "/exemptions"),
    admin("POST", S + "/exemptions/{exemption_id}/decision", json={"decision": "approve"}),
    admin("GET", T + "/expenses"),
    admin(
        "POST",
        T + "/expenses",
        json={"category": "materials", "amount_fen": 5, "spent_on": "{day}"},
    ),
    admin("GET", T + "/settlement", use=LOTTERY, note="the settled term"),
    admin("POST", T + "/settlement"),
    admin("GET", T + "/disclosures"),
    admin("POST", T + "/disclosures", json={"period": "{period}"}),
    admin("GET", S + "/disclosures"),
    admin("GET", S + "/disclosures/{disclosure_id}/export"),
    # --- privacy and audit -----------------------------------------------------------------
    admin("GET", S + "/data-deletion-requests"),
    admin("POST", S + "/data-deletion-requests/{request_id}/complete", json={"response": "已删除"}),
    admin(
        "POST", S + "/data-deletion-requests/{request_id}/decline", json={"response": "不予删除"}
    ),
    admin("PUT", S + "/retention", json={"retention_days": 365}),
    admin("GET", S + "/audit-logs"),
    admin("GET", S + "/audit-logs/export"),
]
