"""The hosts' dashboard. Only admins; everyone else gets 403."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from community.admin import service
from community.forms import KindredForm
from community.site.access import admin_required
from community.site.actions import run

bp = Blueprint("admin", __name__, url_prefix="/admin")


class AnnouncementForm(KindredForm):
    title = StringField(
        "Announcement (one or two sentences)",
        # Stripped first, so that a title of only spaces counts as empty.
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired("Write the announcement."), Length(max=300)],
    )


@bp.get("/")
@admin_required
def dashboard():
    return render_template(
        "admin/dashboard.html", figures=service.dashboard_figures(), form=AnnouncementForm()
    )


@bp.post("/announce")
@admin_required
def announce():
    form = AnnouncementForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/dashboard.html", figures=service.dashboard_figures(), form=form
        ), 400
    count, _ = run(service.announce, current_user._get_current_object(), form.title.data)
    flash(f"Announcement sent to {count} members.", "success")
    return redirect(url_for("admin.dashboard"))
