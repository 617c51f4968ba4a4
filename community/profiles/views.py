"""Routes of the profiles area: the directory, profile pages, the profile editor.

Thin adapters over community.profiles.service. The directory and profile
pages are public (the home page sends visitors there); editing needs a login
but not a verified email.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from community.accounts.forms import ConfirmForm
from community.helping import offers
from community.kindness.privacy import is_private
from community.kindness.service import pledges_of, public_thanks_of
from community.network import follows
from community.profiles import service
from community.profiles.forms import DirectoryForm, ProfileForm
from community.site.actions import run
from community.site.paging import page_number

bp = Blueprint("profiles", __name__)


@bp.get("/members")
def directory():
    form = DirectoryForm(formdata=request.args)
    query = form.to_query(page=page_number(service.PAGE_MAX))
    pagination = service.search_directory(query)
    return render_template(
        "profiles/directory.html", form=form, pagination=pagination, filters=query.args()
    )


@bp.get("/members/<int:user_id>")
def show(user_id: int):
    member = service.access_profile(user_id, current_user)  # NotFound: a 404 page
    is_owner = current_user.is_authenticated and current_user.id == member.id
    # A member who keeps their acts of help private: thanks received and
    # pledges kept are acts of help, shown only to them and to admins.
    kindness_hidden = (
        not is_owner and not getattr(current_user, "is_admin", False) and is_private(member.id)
    )
    return render_template(
        "profiles/show.html",
        member=member,
        profile=member.profile,
        links=service.visible_links(member.profile),
        local_time=service.local_time(member.profile.timezone),
        is_owner=is_owner,
        offer=offers.offer_of(member.id),
        relation=follows.relation(
            current_user.id if current_user.is_authenticated else None, member.id
        ),
        follow_counts=follows.counts(member.id),
        follow_form=ConfirmForm(),
        thanks=[] if kindness_hidden else public_thanks_of(member.id),
        pledges=(0, 0) if kindness_hidden else pledges_of(member.id),
    )


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit():
    """Edit the logged-in member's own profile; there is no way to name another."""
    form = ProfileForm() if request.method == "POST" else ProfileForm.for_member(current_user)
    general_error = None
    if form.validate_on_submit():
        _, error = run(service.update_profile, current_user, **form.changes())
        if error is None:
            flash("Your profile is saved.", "success")
            return redirect(url_for("profiles.show", user_id=current_user.id))
        field = form.field_at(error.field)
        if field is None:
            general_error = str(error)
        else:
            field.errors.append(str(error))
    # A successful POST redirected: any POST that gets here was refused.
    status = 400 if request.method == "POST" else 200
    return render_template(
        "profiles/edit.html",
        form=form,
        general_error=general_error,
        timezones=service.timezone_names(),
        about_max=service.ABOUT_MAX,
        max_links=service.MAX_LINKS,
    ), status
