"""Admin API of the district (教育局, R18): districts, overview, filings, blacklist."""

from __future__ import annotations

import io

from flask import send_file

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.complaints.schemas import DistrictComplaintOut, ReplyIn
from backend.districts import blacklist, complaint_oversight, districts, filings, oversight
from backend.districts.schemas import (
    DistrictBlacklistIn,
    DistrictBlacklistOut,
    DistrictComplaintQuery,
    DistrictIn,
    DistrictOut,
    DistrictOverviewQuery,
    DistrictPatch,
    DistrictSchoolOut,
    FilingDecisionIn,
    FilingOut,
    FilingQuery,
    OverviewRow,
    OverviewTotals,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = Blueprint(
    "districts",
    __name__,
    url_prefix="/admin/api/v1/districts",
    description="The district education bureau: overview, filings, blacklist (R18)",
)


@blp.route("", methods=["POST"])
@idempotent
@blp.arguments(DistrictIn)
@blp.response(201, DistrictOut)
def create_district(args):
    """Create a district (platform admin; 409 `district_code_taken`)."""
    return districts.create_district(args)


@blp.route("", methods=["GET"])
@blp.response(200, DistrictOut(many=True))
@blp.paginate()
def list_districts(pagination_parameters):
    """All districts (platform admin), or the caller's own (district admin)."""
    p = pagination_parameters
    items, p.item_count = districts.list_districts(p.page, p.page_size)
    return items


@blp.route("/<int:district_id>", methods=["GET"])
@blp.response(200, DistrictOut)
def get_district(district_id):
    return districts.get_district(district_id)


@blp.route("/<int:district_id>", methods=["PATCH"])
@blp.arguments(DistrictPatch)
@blp.response(200, DistrictOut)
def update_district(args, district_id):
    """Rename, or require plan approval before sign-up (platform admin)."""
    return districts.update_district(district_id, args)


@blp.route("/<int:district_id>/schools", methods=["GET"])
@blp.response(200, DistrictSchoolOut(many=True))
@blp.paginate()
def district_schools(district_id, pagination_parameters):
    """The district's schools."""
    p = pagination_parameters
    items, p.item_count = districts.district_schools(district_id, p.page, p.page_size)
    return items


@blp.route("/<int:district_id>/overview", methods=["GET"])
@blp.arguments(DistrictOverviewQuery, location="query")
@blp.response(200, OverviewRow(many=True))
@blp.paginate()
def overview(query, district_id, pagination_parameters):
    """Figures per school for the terms running on `on` (aggregates only, no pupil data)."""
    p = pagination_parameters
    items, p.item_count = oversight.overview(district_id, query.get("on"), p.page, p.page_size)
    return items


@blp.route("/<int:district_id>/overview/totals", methods=["GET"])
@blp.arguments(DistrictOverviewQuery, location="query")
@blp.response(200, OverviewTotals)
def overview_totals(query, district_id):
    """The district's totals over all its schools."""
    return oversight.overview_totals(district_id, query.get("on"))


@blp.route("/<int:district_id>/overview/export", methods=["GET"])
@blp.arguments(DistrictOverviewQuery, location="query")
@blp.response(200, content_type=XLSX, description="one row per school, then the totals")
def overview_export(query, district_id):
    """The overview as .xlsx."""
    data, filename = oversight.overview_export(district_id, query.get("on"))
    return send_file(data, as_attachment=True, download_name=filename, mimetype=XLSX)


@blp.route("/<int:district_id>/filings", methods=["GET"])
@blp.arguments(FilingQuery, location="query")
@blp.response(200, FilingOut(many=True))
@blp.paginate()
def district_filings(query, district_id, pagination_parameters):
    """Filings of the district's schools, newest first (`status=submitted`: to decide)."""
    p = pagination_parameters
    items, p.item_count = filings.district_filings(district_id, query, p.page, p.page_size)
    return items


@blp.route("/<int:district_id>/filings/<int:filing_id>", methods=["GET"])
@blp.response(200, FilingOut)
def district_filing(district_id, filing_id):
    """One filing with its history."""
    return filings.district_filing(district_id, filing_id)


@blp.route("/<int:district_id>/filings/<int:filing_id>/attachment", methods=["GET"])
@blp.response(200, content_type="application/octet-stream", description="the attached file")
def district_attachment(district_id, filing_id):
    """Download a filing's attachment."""
    data, name, mime = filings.attachment(filing_id, district_id=district_id)
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)


@blp.route("/<int:district_id>/filings/<int:filing_id>/decision", methods=["POST"])
@blp.arguments(FilingDecisionIn)
@blp.response(200, FilingOut)
def decide_filing(args, district_id, filing_id):
    """Approve, or return with a comment (district admin; 409 `filing_not_pending`)."""
    return filings.decide(district_id, filing_id, args)


@blp.route("/<int:district_id>/provider-blacklist", methods=["POST"])
@idempotent
@blp.arguments(DistrictBlacklistIn)
@blp.response(201, DistrictBlacklistOut)
def add_blacklist(args, district_id):
    """Bar a licence in every school of the district (default six years, R12).

    Schools where a provider with that licence is active are flagged at once (`flagged`,
    and an audit row in each school's log); no school of the district can add or
    reactivate it (409 `provider_blacklisted`). 409 `already_blacklisted`.
    """
    return blacklist.add(district_id, args)


@blp.route("/<int:district_id>/provider-blacklist", methods=["GET"])
@blp.response(200, DistrictBlacklistOut(many=True))
@blp.paginate()
def list_blacklist(district_id, pagination_parameters):
    """The district blacklist, newest first (lifted and expired entries stay on record)."""
    p = pagination_parameters
    items, p.item_count = blacklist.entries(district_id, p.page, p.page_size)
    return items


@blp.route("/<int:district_id>/provider-blacklist/<int:entry_id>", methods=["DELETE"])
@blp.response(200, DistrictBlacklistOut)
def lift_blacklist(district_id, entry_id):
    """Lift a bar early (kept on record)."""
    return blacklist.lift(district_id, entry_id)


@blp.route("/<int:district_id>/complaints", methods=["GET"])
@blp.arguments(DistrictComplaintQuery, location="query")
@blp.response(200, DistrictComplaintOut(many=True))
@blp.paginate()
def district_complaints(query, district_id, pagination_parameters):
    """Escalated complaints and overdue ones of the district's schools, oldest due first.

    No filer and no pupil are ever shown to the district (R16)."""
    p = pagination_parameters
    items, p.item_count = complaint_oversight.complaints(
        district_id, query.get("status"), p.page, p.page_size
    )
    return items


@blp.route("/<int:district_id>/complaints/<int:complaint_id>", methods=["GET"])
@blp.response(200, DistrictComplaintOut)
def district_complaint(district_id, complaint_id):
    """One complaint of the district's schools with its events."""
    return complaint_oversight.complaint(district_id, complaint_id)


@blp.route("/<int:district_id>/complaints/<int:complaint_id>/reply", methods=["POST"])
@blp.arguments(ReplyIn)
@blp.response(200, DistrictComplaintOut)
def reply_complaint(args, district_id, complaint_id):
    """Answer an escalated complaint (district admin; 409 `illegal_transition` otherwise);
    the filer is told."""
    return complaint_oversight.reply(district_id, complaint_id, args)
