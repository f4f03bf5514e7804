"""Mini-program API: my children's statements and exemption requests, school disclosures."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint, Page
from backend.fees import disclosures, exemptions, statement_reads
from backend.fees.schemas import (
    DisclosureOut,
    DisclosureQuery,
    ExemptionIn,
    ExemptionOut,
    FamilyStatementQuery,
    StatementOut,
)

blp = Blueprint("fees", __name__, url_prefix="/api/v1", description="Fees (收费)")


@blp.route("/students/<int:student_id>/statements")
class StudentStatements(MethodView):
    @blp.arguments(FamilyStatementQuery, location="query")
    @blp.response(200, StatementOut(many=True))
    @blp.paginate(Page)
    def get(self, query, student_id):
        """My child's issued statements (never the office's drafts), oldest period first."""
        return statement_reads.family_statements(student_id, query.get("term_id"))


@blp.route("/statements/<int:statement_id>")
class StatementItem(MethodView):
    @blp.response(200, StatementOut)
    def get(self, statement_id):
        """One statement with its lines; total_fen is always the sum of the lines."""
        return statement_reads.family_statement(statement_id)


@blp.route("/students/<int:student_id>/exemptions")
class StudentExemptions(MethodView):
    @blp.response(200, ExemptionOut(many=True))
    @blp.paginate(Page)
    def get(self, student_id):
        """My child's exemption requests and their decisions."""
        return exemptions.family_exemptions(student_id)

    @idempotent
    @blp.arguments(ExemptionIn)
    @blp.response(201, ExemptionOut)
    def post(self, data, student_id):
        """Ask for a fee exemption (R9: 建档立卡, 低保, 特困, 烈士子女, 孤儿, 残疾) with a note
        on the evidence; the school office decides. 409 exemption_exists while one is
        pending or approved for the term."""
        return exemptions.request_exemption(student_id, data)


@blp.route("/schools/<int:school_id>/disclosures")
class SchoolDisclosures(MethodView):
    @blp.arguments(DisclosureQuery, location="query")
    @blp.response(200, DisclosureOut(many=True))
    @blp.paginate(Page)
    def get(self, query, school_id):
        """The school's published income/expense disclosures (guardians and staff of the
        school; figures only)."""
        return disclosures.family_disclosures(school_id, query.get("term_id"))
