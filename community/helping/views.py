"""Routes of the helping area: the board, requests, answers, matches, the offer.

Thin adapters over the domain modules (community.helping.*): a view parses
its form, calls one domain function through ``community.site.actions.run``
(which commits once), then flashes and redirects. Domain errors become:

- an error naming a field of the form: that field's error, and the page
  rendered again with the error's status and the member's text kept;
- NotFound: 404 (missing and not-yours look the same);
- any other refusal on a button (NotAllowed, and the races of making a
  match: NoPlaceLeft, AtCapacity, TryAgain): the transaction rolled back,
  the message flashed, and back to the page the button was on. A form page
  the member may not use (editing another's request) answers 403.

The match page is helping's, its thank-you panel kindness's
(:func:`community.kindness.panel.thanks_panel`): marking the help received
(``/matches/<id>/complete``) goes through
:func:`community.kindness.service.complete_match`, which asks helping to
complete the match before it records the thanks.

Every route needs a login, "keep it open" included: its link comes from an
email to the requester, who logs in once (the login page brings them back).
The signed link names the request and its requester and expires; anyone but
that requester gets the same 404 as for a bad link (no title shown), and the
page asks before it changes anything (GET shows a button, POST keeps the
request open).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from community.accounts.forms import ConfirmForm
from community.accounts.models import User
from community.chat.service import conversation_id_of_match
from community.db import db, utcnow
from community.extensions import csrf
from community.helping import (
    answers,
    asks,
    board_cache,
    capacity,
    check_ins,
    closure,
    fair_limits,
    matches,
    matching,
    offers,
    reliability,
    requests,
    search,
    thanks_back,
)
from community.helping.errors import NotFound
from community.helping.first_contact import first_contact_of
from community.helping.forms import (
    AnswerForm,
    AskPauseForm,
    BoardForm,
    CancelForm,
    ClosureForm,
    CommentForm,
    DeclineForm,
    NotThisTimeForm,
    OfferForm,
    RequestForm,
    StallForm,
    ThanksBackForm,
)
from community.helping.introductions import suggested_first_message
from community.helping.models import (
    AnswerKind,
    AnswerStatus,
    HelpRequest,
    Match,
    MatchStatus,
    RequestStatus,
)
from community.kindness import pledges
from community.kindness import service as kindness
from community.kindness.forms import ThanksForm
from community.kindness.panel import thanks_panel
from community.manuscripts import service as manuscripts
from community.site.actions import attempt, error_on_field, run
from community.site.paging import page_number

bp = Blueprint("helping", __name__)


@bp.app_template_filter("ago")
def ago(moment: datetime | None) -> str:
    """How long ago, in words: "just now", "3 hours ago", "2 days ago"."""
    if moment is None:
        return ""
    seconds = max((utcnow() - moment).total_seconds(), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            if unit == "day" and count > 60:
                return f"on {moment:%-d %B %Y}"
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


@bp.app_template_filter("kind_words")
def kind_words(offer) -> list[str]:
    """What others may read of a volunteer's measured reliability: positive
    words only, from enough events (read from the offer's stored figures)."""
    return reliability.kind_words(offer)


# --- helpers ----------------------------------------------------------------


def _access_request(request_id: int) -> HelpRequest:
    return requests.access_request(current_user, request_id)


def _access_answer(answer_id: int):
    return answers.access_answer(current_user, answer_id)


def _access_match(match_id: int) -> Match:
    return matches.access_match(current_user, match_id)


def _to_request(request_id: int):
    return redirect(url_for("helping.show_request", request_id=request_id))


# --- the board --------------------------------------------------------------


@bp.get("/requests")
@login_required
def board():
    """Open requests, newest first, or "best for me" with the reasons."""
    form = BoardForm(formdata=request.args)
    filters = form.to_filters()
    reasons: dict[int, list[str]] = {}
    page = None
    items, profiles = [], {}
    if form.order.data == "best":
        suggestions = _narrow(matching.suggest_requests(current_user), filters)
        items = [suggestion.request for suggestion in suggestions]
        reasons = {suggestion.request.id: suggestion.reasons for suggestion in suggestions}
        profiles = requests.requester_profiles(items)
    args = form.args()
    filter_args = {k: v for k, v in args.items() if k != "order"}
    best = form.order.data == "best"
    # Its options (every skill and genre) are the same for everyone: rendered once.
    filters_form = Markup(  # noqa: S704  (our autoescaping template's output)
        board_cache.cards(
            ("filters", tuple(sorted(args.items()))),
            lambda: render_template(
                "helping/_board_filters.html", form=form, best=best, filter_args=filter_args
            ),
        )
    )
    cards = None
    if not best:
        number = page_number()

        def render_cards() -> str:
            page = requests.board_page(filters, number)
            return render_template(
                "helping/_board_cards.html",
                items=page.items,
                page=page,
                reasons={},
                best=False,
                profiles=requests.requester_profiles(page.items),
                args=args,
                filter_args=filter_args,
            )

        # The same cards for every member: rendered once per version (board_cache),
        # by the autoescaping template above, so the kept HTML is safe to insert.
        kept = board_cache.cards((tuple(sorted(args.items())), number), render_cards)
        cards = Markup(kept)  # noqa: S704
    return render_template(
        "helping/board.html",
        form=form,
        items=items,
        page=page,
        reasons=reasons,
        best=best,
        profiles=profiles,
        cards=cards,
        filters_form=filters_form,
        args=args,
        filter_args=filter_args,
    )


def _narrow(suggestions: list[matching.Suggestion], filters: requests.BoardFilters):
    """The suggestions that also pass the board's filters (a short list, in memory)."""
    terms = [term.casefold() for term in search.search_terms(filters.q)]

    def keep(item: HelpRequest) -> bool:
        text = f"{item.title} {item.details}".casefold()
        return (
            (not filters.skill or any(skill.slug == filters.skill for skill in item.skills))
            and (not filters.genre or (item.genre is not None and item.genre.slug == filters.genre))
            and (not filters.format or item.format == filters.format)
            and all(term in text for term in terms)
        )

    return [suggestion for suggestion in suggestions if keep(suggestion.request)]


@bp.get("/requests/mine")
@login_required
def my_requests():
    """The member's own requests (every state), what waits on them, and their matches."""
    mine = requests.requests_of(current_user.id)
    # The member's own figures, measured now (one member: a few queries).
    figures = reliability.measure([current_user.id], utcnow()).get(current_user.id)
    return render_template(
        "helping/mine.html",
        own_figures=reliability.own_figures(figures) if figures else [],
        reliability_months=current_app.config["RELIABILITY_MONTHS"],
        room=fair_limits.room_of(current_user.id),
        mine=mine,
        waiting=answers.pending_counts(item.id for item in mine),
        pending=answers.pending_answers_of(current_user.id),
        active_matches=[
            match
            for match in matches.matches_of(current_user.id)
            if match.status == MatchStatus.ACTIVE
        ],
    )


# --- posting and editing ----------------------------------------------------


def _request_form_page(form, help_request=None, general_error=None, status=200):
    today = utcnow().date().isoformat()
    form.deadline.render_kw = {**(form.deadline.render_kw or {}), "min": today}
    return render_template(
        "helping/request_form.html",
        form=form,
        help_request=help_request,
        general_error=general_error,
    ), status


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def new_request():
    form = RequestForm()
    if request.method == "GET":
        return _request_form_page(form)
    general_error, status = None, 400
    if form.validate_on_submit():
        posted, error = run(
            requests.post_request,
            current_user,
            form.to_input(),
            max_open=current_app.config["MAX_OPEN_REQUESTS"],
            per_day=current_app.config["REQUESTS_PER_DAY"],
        )
        if error is None:
            flash("Your request is posted. We will tell you when someone offers help.", "success")
            return _to_request(posted.id)
        if not error_on_field(form, error):
            general_error = str(error)
            status = error.status
    return _request_form_page(form, general_error=general_error, status=status)


@bp.route("/requests/<int:request_id>/edit", methods=["GET", "POST"])
@login_required
def edit_request(request_id: int):
    """Only the requester edits, and not once the request has ended (403 otherwise)."""
    help_request = _access_request(request_id)
    requests.check_editable(current_user, help_request)  # NotAllowed: a 403 page
    if request.method == "GET":
        return _request_form_page(RequestForm.for_request(help_request), help_request)
    form = RequestForm()
    general_error = None
    if form.validate_on_submit():
        _, error = run(requests.edit_request, current_user, help_request, form.to_input())
        if error is None:
            flash("Your request is updated.", "success")
            return _to_request(request_id)
        if not error_on_field(form, error):
            general_error = str(error)
    return _request_form_page(form, help_request, general_error, 400)


# --- the request page -------------------------------------------------------


def _request_page(help_request: HelpRequest, status: int = 200, **forms):
    """The request page; ``forms`` are forms refused just now, kept with their errors:
    ``answer_form``, ``comment_form`` / ``decline_form`` (with ``form_answer_id``)."""
    is_owner = help_request.requester_id == current_user.id
    shown = answers.answers_on(help_request, None if is_owner else current_user.id)
    my_answer = None if is_owner or not shown else shown[0]
    failed_id = forms.get("form_answer_id")
    comment_forms, decline_forms = {}, {}
    for answer in shown:
        comment = forms.get("comment_form") if answer.id == failed_id else None
        decline = forms.get("decline_form") if answer.id == failed_id else None
        comment_forms[answer.id] = comment or CommentForm(formdata=None)
        decline_forms[answer.id] = decline or _decline_form_for(answer)(formdata=None)
        # One page holds a form per answer: ids must stay unique for the labels.
        comment_forms[answer.id].body.id = f"comment-{answer.id}"
        decline_forms[answer.id].reason.id = f"decline-{answer.id}"
        if "pause_until" in decline_forms[answer.id]:
            decline_forms[answer.id].pause_until.id = f"pause-until-{answer.id}"
    answer_form = forms.get("answer_form") or AnswerForm(formdata=None)
    on_request = matches.matches_on_request(current_user, help_request)
    can_answer = (
        not is_owner
        and help_request.is_open
        and (
            my_answer is None
            or my_answer.status == AnswerStatus.WITHDRAWN
            or my_answer.filled_at is not None
        )
    )
    return render_template(
        "helping/request.html",
        help_request=help_request,
        requester=help_request.requester,
        requester_profile=help_request.requester.profile,
        is_owner=is_owner,
        answers=shown,
        my_answer=my_answer,
        can_answer=can_answer,
        # Fair limits, explained where they apply: the request's (both sides
        # see it) and, by the answer form, the member's own month.
        request_room=fair_limits.request_room(help_request) if help_request.is_open else None,
        my_room=fair_limits.room_of(current_user.id) if can_answer else None,
        limits={
            "invitations": current_app.config["PENDING_INVITATIONS_PER_REQUEST"],
            "offers": current_app.config["PENDING_ANSWERS_PER_REQUEST"],
            "one_off": fair_limits.ONE_OFF_CAPACITY,
        },
        volunteer_words=(
            reliability.kind_words_of(answer.volunteer_id for answer in shown) if is_owner else {}
        ),
        answer_form=answer_form,
        comment_forms=comment_forms,
        decline_forms=decline_forms,
        match_for_answer={match.answer_id: match for match in on_request},
        matches_here=on_request,
        suggestions=matching.suggest_volunteers(help_request) if is_owner else [],
        ask_summary=asks.ask_summary(help_request) if is_owner else None,
        ask_links=None if is_owner else _ask_links(help_request),
        button_form=ConfirmForm(),
    ), status


def _decline_form_for(answer):
    """An offer is declined with a kind word; an invitation answered with
    "not this time", a kind word and optionally a dated break."""
    return NotThisTimeForm if answer.kind == AnswerKind.INVITATION else DeclineForm


def _ask_links(help_request: HelpRequest) -> dict[str, str] | None:
    """The "not for me" and "pause me" links of the member's ask about the
    request, while it waits for word back (the in-app notification and the
    digest lead here, so every ask carries them)."""
    ask = asks.waiting_ask(help_request.id, current_user.id)
    if ask is None:
        return None
    return {
        "not_for_me": url_for("helping.answer_ask", token=asks.ask_token(ask, asks.NOT_FOR_ME)),
        "pause": url_for("helping.answer_ask", token=asks.ask_token(ask, asks.PAUSE)),
    }


@bp.get("/requests/<int:request_id>")
@login_required
def show_request(request_id: int):
    return _request_page(_access_request(request_id))


@bp.post("/requests/<int:request_id>/close")
@login_required
def close_request(request_id: int):
    help_request = _access_request(request_id)
    _, error = run(requests.close_request, current_user, help_request)
    flash(str(error) if error else "Your request is closed.", "error" if error else "success")
    return _to_request(request_id)


@bp.post("/requests/<int:request_id>/reopen")
@login_required
def reopen_request(request_id: int):
    help_request = _access_request(request_id)
    _, error = run(
        requests.reopen_request,
        current_user,
        help_request,
        max_open=current_app.config["MAX_OPEN_REQUESTS"],
    )
    flash(str(error) if error else "Your request is open again.", "error" if error else "success")
    return _to_request(request_id)


@bp.post("/requests/<int:request_id>/complete")
@login_required
def complete_request(request_id: int):
    help_request = _access_request(request_id)
    _, error = run(requests.complete_request, current_user, help_request)
    if error:
        flash(str(error), "error")
    else:
        flash("Wonderful! Your request is marked as done. Thank you for asking.", "success")
    return _to_request(request_id)


@bp.post("/requests/<int:request_id>/answer")
@login_required
def answer_request(request_id: int):
    """ "I can help": a note to the requester."""
    help_request = _access_request(request_id)
    form = AnswerForm()
    if form.validate_on_submit():
        _, error = run(answers.answer_request, current_user, help_request, form.note.data)
        if error is None:
            flash("Thank you for offering! We have told them; you will hear back here.", "success")
            return _to_request(request_id)
        if not error_on_field(form, error):
            flash(str(error), "error")
            return _to_request(request_id)
    return _request_page(help_request, 400, answer_form=form)


@bp.post("/requests/<int:request_id>/invite/<int:user_id>")
@login_required
def invite(request_id: int, user_id: int):
    help_request = _access_request(request_id)
    volunteer = db.session.get(User, user_id)
    if volunteer is None:
        abort(404)
    _, error = run(answers.invite_volunteer, current_user, help_request, volunteer)
    if error:
        flash(str(error), "error")
    else:
        flash(f"We have invited {volunteer.display_name} to help.", "success")
    return _to_request(request_id)


@bp.route("/requests/keep-open/<token>", methods=["GET", "POST"])
@login_required
def keep_open(token: str):
    """The reminder email's "keep it open" link: GET asks, POST does it."""
    # A bad, expired or someone else's link: NotFound, the same 404 page, no title.
    target = requests.read_keep_open_token(current_user, token)
    if request.method == "GET" or not ConfirmForm().validate_on_submit():
        return render_template("helping/keep_open.html", help_request=target, form=ConfirmForm())
    kept, error = run(requests.keep_open, current_user, token)
    if error is not None:
        flash(str(error), "error")
        return redirect(url_for("helping.my_requests"))
    if kept is None or kept.status not in (RequestStatus.OPEN, RequestStatus.MATCHED):
        flash("This request has ended, so there is nothing to keep open.", "info")
        return redirect(url_for("helping.my_requests"))
    days = current_app.config["REQUEST_EXPIRY_DAYS"]
    flash(f"“{kept.title}” stays open for another {days} days.", "success")
    return _to_request(kept.id)


# --- asks: the one-click links of an ask's email -----------------------------


@bp.route("/asks/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the authority; it needs no login, hence no session
def answer_ask(token: str):
    """ "Not for me" or "pause me until" from an ask: GET asks, POST does it.

    No login needed. An expired, tampered or foreign link (made for another
    member, or opened by another signed-in member) gets a 404 page saying
    so, and changes nothing.
    """
    try:
        link = asks.read_ask_token(token, current_user)
    except NotFound as error:
        return render_template("helping/ask_link.html", refused=str(error)), 404
    form = AskPauseForm()
    if request.method == "GET":
        form.until.data = utcnow().date() + asks.PAUSE_SUGGESTED
        return render_template("helping/ask_link.html", link=link, form=form)
    if link.action == asks.NOT_FOR_ME:
        _, error = attempt(asks.not_for_me, token, current_user)
    elif form.validate():
        _, error = attempt(asks.pause_until, token, form.until.data, current_user)
    else:
        return render_template("helping/ask_link.html", link=link, form=form), 400
    if error is not None:
        if error_on_field(form, error):
            return render_template("helping/ask_link.html", link=link, form=form), 400
        return render_template("helping/ask_link.html", refused=str(error)), error.status
    return render_template("helping/ask_link.html", link=link, form=form, done=True)


# --- answers ----------------------------------------------------------------


@bp.post("/answers/<int:answer_id>/comments")
@login_required
def comment(answer_id: int):
    """A question or reply on an answer, between the requester and the volunteer."""
    answer = _access_answer(answer_id)
    request_id = answer.request_id
    form = CommentForm()
    if form.validate_on_submit():
        _, error = run(answers.comment_on_answer, current_user, answer, form.body.data)
        if error is None:
            flash("Your message is sent.", "success")
            return _to_request(request_id)
        if not error_on_field(form, error):
            flash(str(error), "error")
            return _to_request(request_id)
    return _request_page(answer.request, 400, comment_form=form, form_answer_id=answer.id)


@bp.post("/answers/<int:answer_id>/accept")
@login_required
def accept_answer(answer_id: int):
    """The requester accepts an offer, or the invited volunteer accepts: a match."""
    answer = _access_answer(answer_id)
    request_id = answer.request_id
    accept = matches.accept_answer if answer.kind == AnswerKind.OFFER else matches.accept_invitation
    match, error = run(accept, current_user, answer)
    if error:
        flash(str(error), "error")
        return _to_request(request_id)
    flash("You are matched! We are introducing you to each other by email.", "success")
    return redirect(url_for("helping.show_match", match_id=match.id))


@bp.post("/answers/<int:answer_id>/decline")
@login_required
def decline_answer(answer_id: int):
    """The requester kindly declines an offer, or the invited volunteer an invitation."""
    answer = _access_answer(answer_id)
    request_id = answer.request_id
    form = _decline_form_for(answer)()
    if form.validate_on_submit():
        if answer.kind == AnswerKind.OFFER:
            _, error = run(answers.decline_answer, current_user, answer, form.reason.data)
            done = "Declined, kindly. We have let them know."
        else:
            until = form.pause_until.data
            reason = form.reason.data
            _, error = run(answers.decline_invitation, current_user, answer, reason, until)
            done = "Thank you for saying so: we have let them know, kindly."
            if until is not None:
                done += f" Your offer is paused until {until.day} {until:%B %Y}."
        if error is None:
            flash(done, "success")
            return _to_request(request_id)
        if not error_on_field(form, error):
            flash(str(error), "error")
            return _to_request(request_id)
    return _request_page(answer.request, 400, decline_form=form, form_answer_id=answer.id)


@bp.post("/answers/<int:answer_id>/withdraw")
@login_required
def withdraw_answer(answer_id: int):
    answer = _access_answer(answer_id)
    request_id = answer.request_id
    _, error = run(answers.withdraw_answer, current_user, answer)
    flash(str(error) if error else "Your offer is withdrawn.", "error" if error else "success")
    return _to_request(request_id)


# --- matches ----------------------------------------------------------------


@bp.get("/matches")
@login_required
def my_matches():
    return render_template("helping/matches.html", matches=matches.matches_of(current_user.id))


def _match_page(
    match: Match,
    cancel_form=None,
    status: int = 200,
    thanks_form=None,
    closure_form=None,
    thanks_back_form=None,
):
    i_am_helper = match.helper_id == current_user.id
    me, other = (match.helper, match.requester) if i_am_helper else (match.requester, match.helper)
    return render_template(
        "helping/match.html",
        match=match,
        help_request=match.request,
        other=other,
        i_am_helper=i_am_helper,
        cancelled_by=(
            None
            if match.cancelled_by_id is None
            else (me if match.cancelled_by_id == me.id else other)
        ),
        first_message=suggested_first_message(me, other, match.request, i_am_helper=i_am_helper),
        first_contact=first_contact_of(match, current_user.id),
        cancel_form=cancel_form or CancelForm(formdata=None),
        conversation_id=conversation_id_of_match(match.id),
        quotable=(
            manuscripts.quotable_comments(current_user, match)
            if match.status == MatchStatus.ACTIVE and not i_am_helper
            else []
        ),
        # Check-ins and closure (community.helping.check_ins, .closure).
        check_in_urls=(
            check_ins.answer_urls(match, current_user.id, external=False)
            if match.status == MatchStatus.ACTIVE and match.check_in_open_at is not None
            else None
        ),
        can_finish_part=check_ins.can_finish_part(match, current_user.id),
        my_closure=closure.closure_of(match, current_user.id),
        may_close=closure.may_write(match, current_user.id),
        closure_form=closure_form or ClosureForm(formdata=None),
        # The helper's thank-you back (community.helping.thanks_back).
        thanks_back=thanks_back.thanks_back_of(match),
        may_thank_back=thanks_back.may_thank_back(match, current_user.id),
        thanks_back_form=thanks_back_form or ThanksBackForm(formdata=None),
        button_form=ConfirmForm(),
        **thanks_panel(match.id, thanks_form),
    ), status


@bp.get("/matches/<int:match_id>")
@login_required
def show_match(match_id: int):
    """Only the two members of the match; anyone else (admins too) gets 404."""
    return _match_page(_access_match(match_id))


@bp.post("/matches/<int:match_id>/complete")
@login_required
def complete_match(match_id: int):
    """The requester marks the help received, with a thank-you (kindness records it)."""
    match = _access_match(match_id)
    if match.requester_id != current_user.id:
        abort(404)  # the helper does not mark their own help received
    form = ThanksForm()
    if form.validate_on_submit():
        thanks, error = run(
            lambda: kindness.complete_match(
                current_user,
                match,
                # A comment the helper left on the manuscript, quoted if chosen.
                manuscripts.thanks_with_quote(current_user, match, form.body.data, form.quote.data),
                keep_private=form.keep_private.data,
                pledge=form.pledge.data,
            )
        )
        if error is None:
            flash("Thank you! Your helper will see your thanks.", "success")
            pledge = pledges.pledge_for_thanks(thanks.id)
            if pledge is not None:
                return redirect(url_for("kindness.pledge", pledge_id=pledge.id))
            return redirect(url_for("helping.show_match", match_id=match_id))
        if not error_on_field(form, error):
            flash(str(error), "error")
            return redirect(url_for("helping.show_match", match_id=match_id))
    return _match_page(match, status=400, thanks_form=form)


@bp.post("/matches/<int:match_id>/cancel")
@login_required
def cancel_match(match_id: int):
    match = _access_match(match_id)
    form = CancelForm()
    if form.validate_on_submit():
        _, error = run(matches.cancel_match, current_user, match, form.reason.data)
        if error is None:
            flash("The match is cancelled and the place is free again.", "success")
            return redirect(url_for("helping.show_match", match_id=match_id))
        if not error_on_field(form, error):
            flash(str(error), "error")
            return redirect(url_for("helping.show_match", match_id=match_id))
    return _match_page(match, form, 400)


@bp.post("/matches/<int:match_id>/finished")
@login_required
def finish_part(match_id: int):
    """The helper's "I finished my part": the requester is reminded to thank, once."""
    match = _access_match(match_id)
    if match.helper_id != current_user.id:
        abort(404)  # the requester marks the help received instead
    if not ConfirmForm().validate_on_submit():
        abort(400)
    told, error = run(check_ins.finish_part, current_user, match)
    if error is not None:
        flash(str(error), "error")
    elif told:
        flash(
            f"Thank you for your help! We have asked {match.requester.display_name} "
            "to mark it received.",
            "success",
        )
    else:
        flash("You have already told them you finished your part.", "info")
    return redirect(url_for("helping.show_match", match_id=match_id))


@bp.post("/matches/<int:match_id>/closure")
@login_required
def write_closure(match_id: int):
    """One private sentence about how an ended match went (moderators read it)."""
    match = _access_match(match_id)
    form = ClosureForm()
    if form.validate_on_submit():
        _, error = run(closure.write_closure, current_user, match, form.body.data)
        if error is None:
            flash("Thank you for saying how it went. Only the site's hosts read it.", "success")
            return redirect(url_for("helping.show_match", match_id=match_id))
        if not error_on_field(form, error):
            flash(str(error), "error")
            return redirect(url_for("helping.show_match", match_id=match_id))
    return _match_page(match, status=400, closure_form=form)


@bp.post("/matches/<int:match_id>/thanks-back")
@login_required
def thank_back(match_id: int):
    """The helper's one thank-you note to the requester, once the match has ended."""
    match = _access_match(match_id)
    if match.helper_id != current_user.id:
        abort(404)  # the requester thanks with "mark the help received"
    form = ThanksBackForm()
    if form.validate_on_submit():
        _, error = run(thanks_back.thank_back, current_user, match, form.body.data)
        if error is None:
            flash(f"Thank you! {match.requester.display_name} will see your note.", "success")
            return redirect(url_for("helping.show_match", match_id=match_id))
        if not error_on_field(form, error):
            flash(str(error), "error")
            return redirect(url_for("helping.show_match", match_id=match_id))
    return _match_page(match, status=400, thanks_back_form=form)


# --- check-ins: the one-click answers of a check-in's email -------------------


@bp.route("/check-ins/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the authority; it needs no login, hence no session
def check_in(token: str):
    """ "We're on it", "the help is done" or "it stalled" from a check-in: GET
    asks, POST does it. No login needed. An expired, tampered or foreign link
    gets a 404 page saying so, and changes nothing; an ended match a page
    saying so."""
    try:
        link = check_ins.read_check_in_token(token, current_user)
    except NotFound as error:
        return render_template("helping/check_in.html", refused=str(error)), 404
    form = StallForm()
    if link.match.status != MatchStatus.ACTIVE:
        return render_template("helping/check_in.html", link=link, ended=True)
    if request.method == "GET":
        return render_template("helping/check_in.html", link=link, form=form)
    if link.action == check_ins.ON_IT:
        _, error = attempt(check_ins.snooze, token, current_user)
        result = None
    elif link.action == check_ins.DONE:
        _, error = attempt(check_ins.help_done, token, current_user)
        result = None
        if error is None and not link.is_helper:
            # The requester's "done" leads to the thank-you form (login once).
            return redirect(
                url_for("helping.show_match", match_id=link.match.id, _anchor="complete-heading")
            )
    elif form.validate():
        result, error = attempt(check_ins.stall, token, form.reason.data, current_user)
    else:
        return render_template("helping/check_in.html", link=link, form=form), 400
    if error is not None:
        if error_on_field(form, error):
            return render_template("helping/check_in.html", link=link, form=form), 400
        return render_template("helping/check_in.html", refused=str(error)), error.status
    return render_template(
        "helping/check_in.html",
        link=link,
        form=form,
        done=True,
        days=current_app.config["CHECK_IN_AFTER_DAYS"],
        suggestions=result.suggestions if result and not link.is_helper else [],
    )


# --- the volunteer's offer --------------------------------------------------


@bp.route("/offer", methods=["GET", "POST"])
@login_required
def edit_offer():
    offer = offers.offer_of(current_user.id)
    form = OfferForm() if request.method == "POST" else OfferForm.for_offer(offer)
    if request.method == "GET" and offer is None:
        # A new offer may come prefilled (from a pledge's page, with the
        # profile's "I can offer"); slugs that name no skill are dropped.
        known = {choice.value for choice in form.skills.choices}
        form.skills.data = [slug for slug in request.args.getlist("skills") if slug in known]
    if request.method == "POST" and form.validate_on_submit():
        _, error = run(offers.save_offer, current_user, form.to_input())
        if error is None:
            flash("Your offer is saved. Thank you for helping!", "success")
            return redirect(url_for("helping.edit_offer"))
        if not error_on_field(form, error):
            flash(str(error), "error")
        offer = offers.offer_of(current_user.id)
    left = capacity.capacity_left(offer) if offer else None
    return render_template(
        "helping/offer.html",
        form=form,
        offer=offer,
        capacity_left=left,
        paused=offer is not None and not offer.on_break and left == 0,
        resets_on=capacity.capacity_resets_on(),
    ), 400 if request.method == "POST" else 200
