"""Routes of the notifications area, and one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from community.accounts.forms import ConfirmForm
from community.accounts.models import User
from community.db import db
from community.extensions import csrf
from community.mail.unsubscribe import ALL_KINDS, read_unsubscribe_token
from community.notifications import service
from community.notifications.forms import preferences_form
from community.notifications.kinds import KINDS
from community.notifications.models import Notification
from community.site.actions import run
from community.site.paging import page_number

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    pagination = service.notifications_page(current_user.id, page_number())
    return render_template(
        "notifications/index.html",
        pagination=pagination,
        message=service.render_message,
        link=service.link,
        form=ConfirmForm(),
    )


@bp.post("/read")
@login_required
def mark_all_read():
    if ConfirmForm().validate_on_submit():
        run(service.mark_read, current_user.id)
    return redirect(url_for("notifications.index"))


@bp.post("/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Mark one notification read and go where it points."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    run(service.mark_read, current_user.id, notification_id)
    return redirect(service.link(notification))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = preferences_form(service.preferences(current_user.id))
    if form.validate_on_submit():
        choices = {name: form[f"kind_{name}"].data for name in KINDS}
        run(service.set_preferences, current_user.id, choices)
        flash("Your email preferences are saved.", "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, kinds=KINDS)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority; mail clients POST without a session
def unsubscribe(token: str):
    """One-click unsubscribe (RFC 8058). GET asks, POST does it; no login needed."""
    found = read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    if user is None or user.is_deleted or (found[1] != ALL_KINDS and found[1] not in KINDS):
        return render_template("notifications/unsubscribe.html", invalid=True), 404
    kind_name = found[1]
    label = "all notification emails" if kind_name == ALL_KINDS else KINDS[kind_name].label
    if request.method == "POST":
        run(service.unsubscribe, user.id, kind_name)
        return render_template("notifications/unsubscribe.html", done=True, label=label)
    return render_template("notifications/unsubscribe.html", label=label, token=token)
