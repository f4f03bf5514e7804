"""Admin API: staff records, who teaches a course, hours, pay rates, pay sheets (R17)."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.staff import exports, hours, pay_sheets, records
from backend.staff.schemas import (
    CorrectionIn,
    CorrectionOut,
    CourseStaffIn,
    CourseStaffOut,
    HoursIn,
    HoursOut,
    HoursQuery,
    PaySheetIn,
    PaySheetOut,
    PaySheetRowOut,
    ProviderPayTermsIn,
    ProviderPayTermsOut,
    RatesIn,
    RatesOut,
    StaffIn,
    StaffOut,
    StaffQuery,
)

blp = Blueprint(
    "staff_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Staff hours and pay (劳务报酬, R17): staff, hours, rates and monthly pay sheets",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TERM = "/<int:school_id>/terms/<int:term_id>"


@blp.route("/<int:school_id>/staff")
class Staff(MethodView):
    @blp.arguments(StaffQuery, location="query")
    @blp.response(200, StaffOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, pagination_parameters):
        """The school's staff records."""
        rows, total = records.list_staff(
            school_id, query, pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows

    @idempotent
    @blp.arguments(StaffIn)
    @blp.response(201, StaffOut)
    @blp.alt_response(422, description="provider_not_found, validation_error")
    def post(self, data, school_id):
        """Record a teacher, an admin (logistics) person or a provider's external staff."""
        return records.create_staff(school_id, data)


@blp.route("/<int:school_id>/courses/<int:course_id>/staff")
class CourseStaff(MethodView):
    @blp.response(200, CourseStaffOut)
    def get(self, school_id, course_id):
        """Who teaches the course."""
        return records.get_course_staff(school_id, course_id)

    @blp.arguments(CourseStaffIn)
    @blp.response(200, CourseStaffOut)
    @blp.alt_response(422, description="staff_not_found")
    def put(self, data, school_id, course_id):
        """Name who teaches the course (replaces the list)."""
        return records.set_course_staff(school_id, course_id, data["staff_ids"])


@blp.route("/<int:school_id>/providers/<int:provider_id>/pay-terms")
class ProviderPayTerms(MethodView):
    @blp.arguments(ProviderPayTermsIn)
    @blp.response(200, ProviderPayTermsOut)
    def put(self, data, school_id, provider_id):
        """Pay the provider's external staff by workload, or as one monthly package."""
        return records.set_provider_pay_terms(school_id, provider_id, data)


@blp.route("/<int:school_id>/staff-hours")
class Hours(MethodView):
    @blp.arguments(HoursQuery, location="query")
    @blp.response(200, HoursOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, pagination_parameters):
        """Hours entries, newest first (corrections are entries of their own)."""
        rows, total = hours.list_entries(
            school_id, query, pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows

    @idempotent
    @blp.arguments(HoursIn)
    @blp.response(201, HoursOut)
    @blp.alt_response(409, description="duplicate_hours")
    @blp.alt_response(422, description="no_term_on_date, staff_not_found, validation_error")
    def post(self, data, school_id):
        """Record a teaching lesson, supervision or admin duty on any date of a term."""
        return hours.add_entry(school_id, data)


@blp.route("/<int:school_id>/staff-hours/<int:entry_id>/corrections")
class HoursCorrection(MethodView):
    @blp.arguments(CorrectionIn)
    @blp.response(201, CorrectionOut)
    @blp.alt_response(409, description="already_corrected")
    def post(self, data, school_id, entry_id):
        """Correct an entry: it is negated (with the reason) and, given `minutes`, replaced."""
        return hours.correct_entry(school_id, entry_id, data)


@blp.route(f"{TERM}/pay-rates")
class Rates(MethodView):
    @blp.response(200, RatesOut)
    def get(self, school_id, term_id):
        """The term's pay rates (404 until set)."""
        return pay_sheets.get_rates(school_id, term_id)

    @blp.arguments(RatesIn)
    @blp.response(200, RatesOut)
    def put(self, data, school_id, term_id):
        """Set the term's rates: per lesson, per supervision hour, admin monthly amount."""
        return pay_sheets.set_rates(school_id, term_id, data)


@blp.route(f"{TERM}/pay-sheets")
class Sheets(MethodView):
    @blp.response(200, PaySheetRowOut(many=True))
    @blp.paginate()
    def get(self, school_id, term_id, pagination_parameters):
        """The term's pay sheets, newest first."""
        rows, total = pay_sheets.list_sheets(
            school_id, term_id, pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows

    @blp.arguments(PaySheetIn)
    @blp.response(201, PaySheetOut)
    @blp.alt_response(409, description="pay_rates_missing, nothing_to_correct")
    @blp.alt_response(422, description="admin_pay_above_average, invalid_period")
    def post(self, data, school_id, term_id):
        """The month's draft (recomputed when one exists); after an approval, a correcting
        sheet of difference lines."""
        return pay_sheets.generate(school_id, term_id, data["period"])


@blp.route(f"{TERM}/pay-sheets/<int:sheet_id>")
class Sheet(MethodView):
    @blp.response(200, PaySheetOut)
    def get(self, school_id, term_id, sheet_id):
        """One sheet with its lines."""
        return pay_sheets.get_sheet(school_id, term_id, sheet_id)


@blp.route(f"{TERM}/pay-sheets/<int:sheet_id>/approve")
class Approve(MethodView):
    @blp.response(200, PaySheetOut)
    @blp.alt_response(409, description="illegal_transition, term_settled")
    @blp.alt_response(422, description="negative_correction")
    def post(self, school_id, term_id, sheet_id):
        """Approve a draft; its total becomes the month's `staff_pay` expense."""
        return pay_sheets.approve(school_id, term_id, sheet_id)


@blp.route(f"{TERM}/pay-sheets/<int:sheet_id>/export")
class SheetExport(MethodView):
    @blp.response(200, content_type=XLSX, description="The sheet for the bursar to sign.")
    def get(self, school_id, term_id, sheet_id):
        """The pay sheet as .xlsx: name, kind, lessons, hours, rate, amount, signature."""
        data, filename = exports.sheet_export(school_id, term_id, sheet_id)
        return send_file(data, as_attachment=True, download_name=filename, mimetype=XLSX)


@blp.route(f"{TERM}/spending-ledger/export")
class LedgerExport(MethodView):
    @blp.response(200, content_type=XLSX, description="Every expense, by category and month.")
    def get(self, school_id, term_id):
        """The term's spending ledger (台账) as .xlsx."""
        data, filename = exports.ledger_export(school_id, term_id)
        return send_file(data, as_attachment=True, download_name=filename, mimetype=XLSX)
