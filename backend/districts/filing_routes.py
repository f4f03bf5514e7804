"""Admin API of a school's filings (备案) with its district (R18)."""

from __future__ import annotations

import io

from flask import send_file

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.districts import filings, oversight
from backend.districts.filings import MAX_ATTACHMENT
from backend.districts.schemas import (
    AnnualReportDraftOut,
    AnnualReportQuery,
    FilingAttachmentIn,
    FilingIn,
    FilingOut,
    FilingQuery,
    FilingResubmitIn,
)

blp = Blueprint(
    "school_filings",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="A school's filings (备案) with its district",
)


@blp.route("/<int:school_id>/filings", methods=["POST"])
@idempotent
@blp.arguments(FilingIn)
@blp.response(201, FilingOut)
def submit_filing(args, school_id):
    """File a document with the school's district (409 `no_district`)."""
    return filings.submit(school_id, args)


@blp.route("/<int:school_id>/filings", methods=["GET"])
@blp.arguments(FilingQuery, location="query")
@blp.response(200, FilingOut(many=True))
@blp.paginate()
def school_filings(query, school_id, pagination_parameters):
    """The school's filings, newest first, with their status."""
    p = pagination_parameters
    items, p.item_count = filings.school_filings(school_id, query, p.page, p.page_size)
    return items


@blp.route("/<int:school_id>/filings/annual-report-draft", methods=["GET"])
@blp.arguments(AnnualReportQuery, location="query")
@blp.response(200, AnnualReportDraftOut)
def annual_report_draft(query, school_id):
    """A draft annual report from the year's term figures, to edit and file."""
    return oversight.annual_report_draft(school_id, query["year"])


@blp.route("/<int:school_id>/filings/<int:filing_id>", methods=["GET"])
@blp.response(200, FilingOut)
def school_filing(school_id, filing_id):
    """One filing with its history (decisions and comments)."""
    return filings.school_filing(school_id, filing_id)


@blp.route("/<int:school_id>/filings/<int:filing_id>/resubmit", methods=["POST"])
@blp.arguments(FilingResubmitIn)
@blp.response(200, FilingOut)
def resubmit_filing(args, school_id, filing_id):
    """Send a returned filing again, corrected (a new version)."""
    return filings.resubmit(school_id, filing_id, args)


@blp.route("/<int:school_id>/filings/<int:filing_id>/attachment", methods=["PUT"])
@blp.arguments(FilingAttachmentIn, location="files")
@blp.response(200, FilingOut)
def attach_filing(args, school_id, filing_id):
    """Attach a PDF, Word, Excel or image file (multipart field `file`, at most 10 MB)."""
    upload = args["file"]
    data = upload.stream.read(MAX_ATTACHMENT + 1)
    return filings.attach(school_id, filing_id, upload.filename or "", upload.mimetype, data)


@blp.route("/<int:school_id>/filings/<int:filing_id>/attachment", methods=["GET"])
@blp.response(200, content_type="application/octet-stream", description="the file")
def school_attachment(school_id, filing_id):
    """Download the filing's attachment."""
    data, name, mime = filings.attachment(filing_id, school_id=school_id)
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)
