"""Routes (placeholder until the domain fills it in)."""

from flask_smorest import Blueprint

blp = Blueprint("schools_app_routes", __name__, url_prefix="/")
