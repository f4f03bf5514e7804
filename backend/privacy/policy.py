"""What happens to each table's rows about a pupil when their data is anonymised.

Every table with a `student_id` column must appear here (a test enforces it), so a new
domain has to decide: "delete" (personal, not needed afterwards) or "keep" (records the
law or the accounts need, such as fees, kept without the personal fields in SCRUB).
"""

from __future__ import annotations

STUDENT_TABLES: dict[str, str] = {
    "roster_guardians": "delete",
    "guardian_links": "delete",
    "student_binding_codes": "delete",
    "pickup_persons": "delete",
    "pickup_notices": "delete",
    "handoff_codes": "delete",
    "handoffs": "delete",
    "dismissal_releases": "delete",
    "pickup_alerts": "delete",
    "self_leave_permissions": "delete",
    "attendance_records": "delete",
    "course_attendance": "delete",  # course marks (R17); the held meeting and its hours stay
    "course_preferences": "delete",
    "selections": "delete",
    "survey_answered": "delete",  # who answered; the anonymous tallies stay
    "leave_days": "keep",  # a leave refund line refers to them
    "leave_requests": "keep",
    "applications": "keep",  # enrolment record of the term
    "fee_statements": "keep",
    "fee_payments": "keep",
    "fee_refunds": "keep",
    "fee_exemptions": "keep",
    "deletion_requests": "keep",
    # R16: the record that a complaint was handled stays; the pupil and filer names go.
    # (Anonymous complaints never name a pupil, so a family export cannot reveal one.)
    "complaints": "keep",
}

# Personal free text or flags in kept rows, blanked on anonymisation.
SCRUB: dict[str, dict[str, object]] = {
    "applications": {"note": None, "priority_flags": [], "client_ip": None},
    "leave_requests": {"reason": "（已匿名）"},
    "fee_exemptions": {"evidence_note": "（已匿名）"},
    "deletion_requests": {"reason": None},
    "complaints": {"student_id": None, "filer_name": None},
}

# Columns never exported: secrets or their digests.
SECRET_COLUMNS = ("code_hash", "token_hash", "qr_hash", "secret", "password_hash", "totp_secret")

# In a family's data export, a phone number is shown in full only to the person who entered
# it (as the list views do), and a network address only to the person it belongs to; a
# co-guardian sees the number masked and no address. The column naming each row's author:
ROW_AUTHOR: dict[str, str] = {
    "pickup_persons": "created_by",
    "applications": "applicant_user_id",
    "pickup_notices": "created_by",
    "leave_requests": "requested_by",
    "deletion_requests": "requested_by",
    "fee_payments": "payer_user_id",
}
PHONE_COLUMNS = ("phone",)
ADDRESS_COLUMNS = ("client_ip", "user_agent", "ip")
