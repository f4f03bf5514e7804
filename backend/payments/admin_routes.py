"""Admin API: send a refund back through WeChat Pay; the daily reconciliation."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.pagination import Blueprint
from backend.payments import reconcile, refunds
from backend.payments.schemas import ReconciliationOut, ReconciliationQuery, WeChatRefundOut

blp = Blueprint(
    "payments_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="WeChat Pay: refunds and reconciliation",
)


@blp.route("/<int:school_id>/refunds/<int:refund_id>/wechat")
class RefundToWeChat(MethodView):
    @blp.response(200, WeChatRefundOut)
    @blp.alt_response(409, description="`refund_not_pending` / `refund_not_wechat`")
    @blp.alt_response(502, description="`refund_refused`: WeChat Pay said no (see errors)")
    @blp.alt_response(503, description="`payments_unavailable`: try again, same number")
    def post(self, school_id, refund_id):
        """Send a requested refund (settlement credit or surplus) back to the payer's
        WeChat, through a paid WeChat order of the same statement. out_refund_no is derived
        from the refund id, so repeating this never refunds twice. The outcome arrives by
        notification (or the sweep asks); the fee refund then becomes succeeded or failed
        (failed puts the money back on the balance, to be refunded offline)."""
        return refunds.push_refund(school_id, refund_id)


@blp.route("/<int:school_id>/reconciliations")
class Reconciliations(MethodView):
    @blp.arguments(ReconciliationQuery, location="query")
    @blp.response(200, ReconciliationOut)
    def get(self, query, school_id):
        """The differences the daily reconciliation (`flask --app backend payments
        reconcile --date`) found for this school: missing_ours (WeChat has it, we do
        not), missing_theirs, amount_mismatch. 404 when that day was not reconciled."""
        return reconcile.school_reconciliation(school_id, query["date"])
