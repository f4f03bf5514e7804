"""Which domain route modules make up each API (each module exposes `blp`)."""

APP_ROUTE_MODULES = [
    "backend.privacy.app_routes",
    "backend.auth.app_routes",
    "backend.schools.app_routes",
    "backend.terms.app_routes",
    "backend.pickup.app_routes",
    "backend.pickup.gate_routes",
    "backend.pickup.class_routes",
    "backend.pickup.leave_routes",
    "backend.fees.app_routes",
    "backend.payments.app_routes",
    "backend.courses.app_routes",
    "backend.signup.app_routes",
    "backend.complaints.app_routes",
    "backend.staff.app_routes",
    "backend.surveys.app_routes",
]

ADMIN_ROUTE_MODULES = [
    "backend.privacy.admin_routes",
    "backend.auth.admin_routes",
    "backend.schools.admin_routes",
    "backend.audit.admin_routes",
    "backend.terms.admin_routes",
    "backend.fees.admin_routes",
    "backend.fees.admin_money_routes",
    "backend.payments.admin_routes",
    "backend.courses.admin_routes",
    "backend.signup.admin_routes",
    "backend.complaints.admin_routes",
    "backend.districts.admin_routes",
    "backend.districts.filing_routes",
    "backend.staff.admin_routes",
    "backend.surveys.admin_routes",
]
