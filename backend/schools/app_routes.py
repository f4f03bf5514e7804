"""Mini-program API: who I am, my children, and binding a staff role by code."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint, Page
from backend.extensions import limiter
from backend.schools import binding
from backend.schools.app_schemas import ChildIn, ChildOut, MeOut, RoleBindingIn, RoleOut

blp = Blueprint("me", __name__, url_prefix="/api/v1", description="Me, children, role binding")


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeOut)
    def get(self):
        """My id, roles (with their scope), masked phone and bound children."""
        return binding.me()

    @blp.response(204)
    def delete(self):
        """Close my account: all sessions end, children unbound, staff roles released, the
        verified phone forgotten. The children's school records stay with the school (ask
        for their deletion with POST /me/data-deletion-requests)."""
        from backend.privacy.service import delete_account

        delete_account()


@blp.route("/me/children")
class Children(MethodView):
    @blp.response(200, ChildOut(many=True))
    @blp.paginate(Page)
    def get(self):
        """Children bound to me."""
        from backend.auth.context import require_user

        return binding.list_children(require_user().id)

    @idempotent
    @limiter.limit("20/minute")
    @blp.arguments(ChildIn)
    @blp.response(201, ChildOut)
    @blp.alt_response(200, schema=ChildOut, description="Already bound: the same child again.")
    @blp.alt_response(403, description="binding_not_verified")
    def post(self, data):
        """Bind a child: my verified phone must be a roster guardian phone of that pupil,
        or I give the one-time pupil binding code from the school office."""
        child, created = binding.bind_child(
            data["student_no"], data["name"], data.get("binding_code")
        )
        return child, (201 if created else 200)


@blp.route("/me/children/<int:student_id>")
class Child(MethodView):
    @blp.response(204)
    def delete(self, student_id):
        """Unbind a child from me (other guardians keep theirs)."""
        binding.unbind_child(student_id)


@blp.route("/auth/role-binding")
class RoleBinding(MethodView):
    @limiter.limit("10/minute")
    @blp.arguments(RoleBindingIn)
    @blp.response(200, RoleOut)
    @blp.alt_response(409, description="binding_code_used")
    @blp.alt_response(410, description="binding_code_expired")
    def post(self, data):
        """Bind the staff or committee role behind a one-time code from the school office."""
        return binding.bind_role(data["binding_code"])
