"""Placeholder, replaced by the profiles area."""
from flask import Blueprint

bp = Blueprint("profiles", __name__)


@bp.get("/members")
def directory():
    return "members"


@bp.get("/members/<int:user_id>")
def show(user_id: int):
    return "profile"


@bp.route("/profile/edit", methods=["GET", "POST"])
def edit():
    return "edit"
