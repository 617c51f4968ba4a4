"""Pages of kindness: replies to thanks, "X helped me", pending thanks, a
member's ripples, the community page, privacy. Pages read stored results
through :mod:`community.kindness.reading`; no graph traversal and no query
of their own happens here. Marking a match's help received is a route of the
match page (:mod:`community.helping.views`), whose thank-you panel is
:mod:`community.kindness.panel`."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from community.accounts.forms import ConfirmForm
from community.accounts.models import User
from community.db import utcnow
from community.kindness import pledges, privacy, reading, service, svg
from community.kindness.forms import PrivacyForm, ReplyForm, ThanksForm
from community.kindness.wording import when_iso
from community.profiles.service import access_profile
from community.site.actions import error_on_field, run

bp = Blueprint("kindness", __name__)


def _member(user_id: int) -> User:
    return access_profile(user_id, current_user)


def _access_thanks(thanks_id: int):
    return service.access_thanks(current_user, thanks_id)


# --- replies and privacy of a thank-you --------------------------------------


@bp.post("/thanks/<int:thanks_id>/reply")
@login_required
def reply(thanks_id: int):
    thanks = _access_thanks(thanks_id)
    form = ReplyForm()
    error = None
    if form.validate_on_submit():
        _, error = run(service.reply_to_thanks, current_user, thanks, form.reply.data)
        if error is not None and error_on_field(form, error):
            # A refusal of the words themselves (a link too early, say): the
            # reply is shown again with the word on it, nothing typed is lost.
            back = _back_to(thanks).location
            return render_template("kindness/reply.html", thanks=thanks, form=form, back=back), 400
    else:
        error = next(iter(form.reply.errors), "Write your reply.")
    flash(str(error) if error else "Your reply is sent.", "error" if error else "success")
    return _back_to(thanks)


@bp.post("/thanks/<int:thanks_id>/privacy")
@login_required
def thanks_privacy(thanks_id: int):
    thanks = _access_thanks(thanks_id)
    form = PrivacyForm()
    if not form.validate_on_submit():
        abort(400)
    run(service.set_thanks_private, current_user, thanks, form.private.data)
    flash("This thank-you is private." if form.private.data else "This thank-you shows.", "success")
    return _back_to(thanks)


def _back_to(thanks):
    if thanks.match_id:
        return redirect(url_for("helping.show_match", match_id=thanks.match_id))
    return redirect(url_for("profiles.show", user_id=thanks.helper_id))


# --- help outside a match ---------------------------------------------------


@bp.route("/members/<int:user_id>/thank", methods=["GET", "POST"])
@login_required
def thank_member(user_id: int):
    member = _member(user_id)
    if member.id == current_user.id:
        abort(404)
    form = ThanksForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            thanks, error = run(
                service.thank_outside,
                current_user,
                member,
                form.body.data,
                keep_private=form.keep_private.data,
                pledge=form.pledge.data,
            )
            if error is None:
                flash(f"Thank you! {member.display_name} will be asked to confirm it.", "success")
                return _after_thanks(thanks, url_for("profiles.show", user_id=member.id))
            if not error_on_field(form, error):
                flash(str(error), "error")
    return render_template("kindness/thank.html", member=member, form=form), status


def _after_thanks(thanks, back: str):
    """To the pledge's page if a pledge was made with the thank-you, else ``back``."""
    pledge = pledges.pledge_for_thanks(thanks.id)
    return redirect(url_for("kindness.pledge", pledge_id=pledge.id) if pledge else back)


# --- a pledge: where it could lead --------------------------------------------


@bp.get("/pledges/<int:pledge_id>")
@login_required
def pledge(pledge_id: int):
    """The member's own pledge: a few open requests they could help with, with
    reasons, and the way to a volunteer offer if they have none."""
    found = pledges.access_pledge(current_user, pledge_id)
    return render_template("kindness/pledge.html", steps=pledges.next_steps(current_user, found))


@bp.get("/thanks")
@login_required
def pending_thanks():
    return render_template(
        "kindness/pending.html",
        pending=service.pending_thanks_for(current_user.id),
        button_form=ConfirmForm(),
    )


@bp.post("/thanks/<int:thanks_id>/confirm")
@login_required
def confirm_thanks(thanks_id: int):
    thanks = _access_thanks(thanks_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _, error = run(service.confirm_thanks, current_user, thanks)
    flash(
        str(error) if error else "Confirmed. Thank you for helping!",
        "error" if error else "success",
    )
    return redirect(url_for("kindness.pending_thanks"))


@bp.post("/thanks/<int:thanks_id>/decline")
@login_required
def decline_thanks(thanks_id: int):
    thanks = _access_thanks(thanks_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _, error = run(service.decline_thanks, current_user, thanks)
    flash(
        str(error) if error else "Declined: no act of help is recorded.",
        "error" if error else "success",
    )
    return redirect(url_for("kindness.pending_thanks"))


# --- ripples ----------------------------------------------------------------


@bp.get("/members/<int:user_id>/ripples")
@login_required
def ripples(user_id: int):
    member = _member(user_id)
    is_owner = member.id == current_user.id
    if not is_owner and not current_user.is_admin and privacy.is_private(member.id):
        # Private: no names, no picture, no chains, no figures for others
        # (the member's acts still count in the community's totals).
        return render_template(
            "kindness/ripples_private.html", member=member, member_name="This member"
        )
    now = utcnow()
    page = reading.ripples_page(member, current_user.id, now)
    return render_template(
        "kindness/ripples.html",
        member=member,
        member_name=page.member_name,
        stored=page.stored,
        chains=page.chains,
        nodes=page.nodes,
        edges=page.edges,
        names=page.names,
        size=svg.SIZE,
        rings=svg.RINGS[1:],
        centre=svg.CENTRE,
        pledges_made=page.pledges_made,
        pledges_kept=page.pledges_kept,
        is_owner=is_owner,
        privacy_form=PrivacyForm(private=privacy.is_private(member.id)) if is_owner else None,
        when=lambda at: when_iso(at, now),
    )


@bp.post("/kindness/privacy", endpoint="privacy")
@login_required
def ripples_privacy():
    form = PrivacyForm()
    if not form.validate_on_submit():
        abort(400)
    run(privacy.set_ripples_private, current_user, form.private.data)
    flash(
        "Your acts of help are off public pages now."
        if form.private.data
        else "Your acts of help show on public pages.",
        "success",
    )
    return redirect(url_for("kindness.ripples", user_id=current_user.id))


@bp.get("/kindness")
@login_required
def community():
    page = reading.community_page(utcnow())
    return render_template(
        "kindness/community.html",
        acts_this_month=page.acts_this_month,
        longest=page.longest,
        lately=page.lately,
    )
