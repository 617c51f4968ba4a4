"""The matching engine: hard filters, the effect of every weight on the order, the
reasons in words, suggestions for a volunteer, the candidate index, and reranking.

Each weight test builds two volunteers identical except for one signal. The
better one is made second, so it has the higher id: the tie-break (lower id
first) puts it last. With the weight, it ranks first; with the weight set to 0,
the order falls back to the tie-break.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community import blocking
from community.db import db, utcnow
from community.helping import answers, matches, matching, offers, rank, requests
from community.helping.models import HelpRequest, Match, OfferSkill, VolunteerOffer
from community.moderation.models import HiddenItem
from tests.builders import accept, answer, pin_activity, reload

# --- helpers ---------------------------------------------------------------------------


def offer_of(user) -> VolunteerOffer:
    return db.session.get(VolunteerOffer, user.id)


def suggestions(request, **kwargs) -> list[matching.Suggestion]:
    return matching.suggest_volunteers(reload(request), **kwargs)


def names(request, **kwargs) -> list[str]:
    return [s.volunteer.display_name for s in suggestions(request, **kwargs)]


def by_name(request) -> dict[str, matching.Suggestion]:
    return {s.volunteer.display_name: s for s in suggestions(request)}


def refresh_ranks() -> None:
    """Recompute every rank_score with the current WEIGHTS (counters untouched)."""
    for offer in db.session.scalars(select(VolunteerOffer)):
        rank.refresh_rank(offer)
    db.session.commit()


@pytest.fixture
def asker(make_user):
    return make_user(display_name="Ann Asker", profile__about="", profile__timezone="Europe/London")


# --- the weights, one by one -------------------------------------------------------------


@dataclass
class Duo:
    request: HelpRequest
    plain: object
    better: object
    better_says: str | None  # a reason the better one has and the plain one lacks


def _pin(*users):
    pin_activity(*(offer_of(user) for user in users))


def duo_skills(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading")
    better = make_volunteer("Better", "beta-reading", "critique")
    _pin(plain, better)
    request = make_request(asker, "beta-reading", "critique")
    return Duo(request, plain, better, "beta reading and critique in common")


def duo_genre(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading", genres=["romance"])
    better = make_volunteer("Better", "beta-reading", genres=["fantasy"])
    _pin(plain, better)
    request = make_request(asker, "beta-reading", genre="fantasy")
    return Duo(request, plain, better, "beta reading and fantasy in common")


def duo_text(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading", about="I love stories about mountains.")
    better = make_volunteer("Better", "beta-reading", about="I love stories about lighthouses.")
    _pin(plain, better)
    request = make_request(
        asker, details="A 90k-word epic fantasy about a lighthouse keeper; pacing notes, please."
    )
    return Duo(request, plain, better, "writes about “lighthouse”")


def duo_timezone(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading", timezone="Asia/Tokyo")
    better = make_volunteer("Better", "beta-reading", timezone="Europe/Dublin")
    _pin(plain, better)
    request = make_request(asker, format="live_chat")
    return Duo(request, plain, better, "same timezone")


def duo_capacity(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading", capacity=2)
    better = make_volunteer("Better", "beta-reading", capacity=2)
    busy = offer_of(plain)
    busy.capacity_month, busy.capacity_used = offers.current_month(), 1
    _pin(plain, better)
    request = make_request(asker)
    return Duo(request, plain, better, "2 places free this month")


def duo_replies(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading")
    better = make_volunteer("Better", "beta-reading")
    offer_of(plain).invitations_replied, offer_of(plain).invitations_missed = 1, 3
    offer_of(better).invitations_replied, offer_of(better).invitations_missed = 4, 0
    _pin(plain, better)
    request = make_request(asker)
    return Duo(request, plain, better, "replied to all 4 invitations")


def duo_first_message(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading")
    better = make_volunteer("Better", "beta-reading")
    offer_of(plain).first_messages, offer_of(plain).first_message_hours = 3, 100.0
    offer_of(better).first_messages, offer_of(better).first_message_hours = 3, 5.0
    _pin(plain, better)
    request = make_request(asker)
    return Duo(request, plain, better, "usually writes within a day of being matched")


def duo_follow_through(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading")
    better = make_volunteer("Better", "beta-reading")
    offer_of(plain).helps_thanked, offer_of(plain).helps_not_thanked = 1, 3
    offer_of(better).helps_thanked, offer_of(better).helps_not_thanked = 3, 1
    _pin(plain, better)
    request = make_request(asker)
    return Duo(request, plain, better, "3 of 4 helps ended with thanks")


def duo_activity(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading")
    better = make_volunteer("Better", "beta-reading")
    long_ago = utcnow() - timedelta(days=20)
    pin_activity(offer_of(plain), at=long_ago, last_seen=long_ago)
    pin_activity(offer_of(better), at=long_ago, last_seen=utcnow() - timedelta(hours=1))
    request = make_request(asker)
    return Duo(request, plain, better, None)


def duo_fairness(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading", capacity=10)
    better = make_volunteer("Better", "beta-reading", capacity=10)
    offer_of(plain).recent_matches = 3
    _pin(plain, better)
    request = make_request(asker)
    return Duo(request, plain, better, "has not been matched lately")


def duo_reciprocity(make_volunteer, make_request, asker) -> Duo:
    plain = make_volunteer("Plain", "beta-reading")
    better = make_volunteer("Better", "beta-reading")
    offer_of(better).received_count = 2  # was helped here twice
    _pin(plain, better)
    request = make_request(asker)
    return Duo(request, plain, better, "was helped here and is paying it forward")


DUOS = {
    "skills": duo_skills,
    "genre": duo_genre,
    "text": duo_text,
    "timezone": duo_timezone,
    "capacity": duo_capacity,
    "replies": duo_replies,
    "first_message": duo_first_message,
    "follow_through": duo_follow_through,
    "activity": duo_activity,
    "fairness": duo_fairness,
    "reciprocity": duo_reciprocity,
}


def test_every_weight_has_its_test():
    assert set(DUOS) == set(rank.WEIGHTS)
    assert all(weight > 0 for weight in rank.WEIGHTS.values())


@pytest.mark.parametrize("weight", list(DUOS))
def test_each_weight_changes_the_order(
    app, make_volunteer, make_request, asker, monkeypatch, weight
):
    duo = DUOS[weight](make_volunteer, make_request, asker)
    assert duo.plain.id < duo.better.id

    found = by_name(duo.request)
    plain, better = found["Plain"], found["Better"]
    # Identical but for this one signal.
    assert better.signals[weight] > plain.signals[weight]
    others = {name for name in rank.WEIGHTS if name != weight}
    assert {n: better.signals[n] for n in others} == pytest.approx(
        {n: plain.signals[n] for n in others}
    )
    assert better.score > plain.score
    assert names(duo.request) == ["Better", "Plain"]
    if duo.better_says:
        assert duo.better_says in better.reasons
        assert duo.better_says not in plain.reasons

    monkeypatch.setitem(rank.WEIGHTS, weight, 0)
    refresh_ranks()
    assert names(duo.request) == ["Plain", "Better"]  # the tie-break: the earlier member
    found = by_name(duo.request)
    assert found["Better"].score == pytest.approx(found["Plain"].score)


def test_timezones_count_only_for_live_help(app, make_volunteer, make_request, asker):
    far = make_volunteer("Far", "beta-reading", timezone="Asia/Tokyo")
    near = make_volunteer("Near", "beta-reading", timezone="Europe/London")
    unknown = make_volunteer("Unknown", "beta-reading", timezone=None)
    _pin(far, near, unknown)

    written = make_request(asker, title="Written notes on my novel", format="written")
    assert names(written) == ["Far", "Near", "Unknown"]  # no effect: the tie-break
    assert {s.signals["timezone"] for s in suggestions(written)} == {0.0}
    assert not any("timezone" in r or "apart" in r for s in suggestions(written) for r in s.reasons)

    for live in ("live_chat", "call"):
        request = make_request(asker, title=f"A {live} about my novel", format=live)
        assert names(request) == ["Near", "Unknown", "Far"]  # unknown counts as halfway
        found = by_name(request)
        assert "same timezone" in found["Near"].reasons
        assert any(r.endswith("hours apart") for r in found["Far"].reasons)


def test_profile_genres_count_as_well_as_the_offers(app, make_volunteer, make_request, asker):
    plain = make_volunteer("Plain", "beta-reading")
    better = make_volunteer("Better", "beta-reading", profile_genres=["fantasy"])
    _pin(plain, better)
    request = make_request(asker, genre="fantasy")
    assert names(request) == ["Better", "Plain"]
    assert "beta reading and fantasy in common" in by_name(request)["Better"].reasons


def test_the_offer_note_counts_for_text_relevance(app, make_volunteer, make_request, asker):
    plain = make_volunteer("Plain", "beta-reading", note="Mountain stories, always.")
    better = make_volunteer("Better", "beta-reading", note="Lighthouse stories, always.")
    _pin(plain, better)
    request = make_request(asker)
    assert names(request) == ["Better", "Plain"]


def test_reasons_in_words(app, make_volunteer, make_request, asker):
    vic = make_volunteer("Vic", "beta-reading", genres=["fantasy"], capacity=2)
    figures = offer_of(vic)
    figures.invitations_replied, figures.invitations_missed = 9, 1
    figures.first_messages, figures.first_message_hours = 4, 5.0
    figures.helps_thanked, figures.helps_not_thanked = 12, 1
    _pin(vic)
    request = make_request(asker, "beta-reading", genre="fantasy")
    [suggestion] = suggestions(request)
    assert suggestion.reasons[:5] == [
        "beta reading and fantasy in common",
        "2 places free this month",
        "replied to 9 of 10 invitations",
        "usually writes within a day of being matched",
        "12 of 13 helps ended with thanks",
    ]
    assert suggestion.volunteer.id == vic.id and suggestion.offer.user_id == vic.id

    figures = offer_of(vic)
    figures.first_message_hours = 50.0
    figures.capacity_month, figures.capacity_used = offers.current_month(), 1
    _pin(vic)
    [suggestion] = suggestions(request)
    assert "1 place free this month" in suggestion.reasons
    assert "usually writes within three days of being matched" in suggestion.reasons


def test_reliability_words_are_positive_only_and_need_enough_events(
    app, make_volunteer, make_request, asker
):
    """A weak or short record shows no words at all: never a negative one."""
    vic = make_volunteer("Vic", "beta-reading")
    figures = offer_of(vic)
    # Two events each: too few to say anything, however good.
    figures.invitations_replied, figures.first_messages, figures.helps_thanked = 2, 2, 2
    figures.first_message_hours = 1.0
    _pin(vic)
    request = make_request(asker)
    [suggestion] = suggestions(request)
    said = "; ".join(suggestion.reasons)
    assert "invitation" not in said and "writes within" not in said and "thanks" not in said

    # Plenty of events, but mostly let down: still nothing said.
    figures = offer_of(vic)
    figures.invitations_replied, figures.invitations_missed = 3, 7
    figures.first_messages, figures.first_messages_missed = 3, 6
    figures.helps_thanked, figures.helps_not_thanked = 1, 6
    _pin(vic)
    [suggestion] = suggestions(request)
    said = "; ".join(suggestion.reasons)
    assert "invitation" not in said and "writes within" not in said and "thanks" not in said

    # Thanked often but not mostly: the count alone, positive.
    figures = offer_of(vic)
    figures.helps_thanked, figures.helps_not_thanked = 4, 3
    _pin(vic)
    [suggestion] = suggestions(request)
    assert "4 helps ended with thanks" in suggestion.reasons


# --- hard filters --------------------------------------------------------------------------


def test_hard_filters(app, make_user, make_volunteer, make_offer, make_request, asker):
    make_offer(asker, "beta-reading")  # the requester volunteers too: never for herself
    shared = make_volunteer("Shared", "beta-reading", "critique")
    make_volunteer("Other skill", "critique")
    make_volunteer("Resting", "beta-reading", on_break=True)
    full = make_volunteer("Full", "beta-reading", capacity=1)
    answered = make_volunteer("Answered", "beta-reading")
    declined = make_volunteer("Declined", "beta-reading")
    withdrawn = make_volunteer("Withdrawn", "beta-reading")
    invited = make_volunteer("Invited", "beta-reading")
    gone = make_volunteer("Gone", "beta-reading")

    bea = make_user()
    accept(bea, answer(full, make_request(bea, title="Bea's novel takes Full's place")))
    gone.deleted_at = utcnow()
    db.session.commit()
    request = make_request(asker, helpers=5)
    answer(answered, request)
    answers.decline_answer(asker, answer(declined, reload(request)), "Thanks anyway")
    answers.withdraw_answer(withdrawn, answer(withdrawn, reload(request)))
    answers.invite_volunteer(asker, reload(request), invited)
    db.session.commit()

    assert [s.volunteer.id for s in suggestions(request)] == [shared.id]


@pytest.mark.parametrize("who_blocks", ["asker", "volunteer"])
def test_a_block_either_way_hides_the_volunteer(
    app, make_volunteer, make_request, asker, who_blocks
):
    make_volunteer("Friendly", "beta-reading")
    blocked = make_volunteer("Blocked", "beta-reading")
    request = make_request(asker)
    assert sorted(names(request)) == ["Blocked", "Friendly"]

    if who_blocks == "asker":
        blocking.block(asker, blocked)
    else:
        blocking.block(blocked, asker)
    db.session.commit()
    assert names(request) == ["Friendly"]
    assert matching.suggest_requests(blocked) == []
    assert [
        s.request.id for s in matching.suggest_requests(make_volunteer("Other", "beta-reading"))
    ] == [request.id]


def test_nothing_is_suggested_for_a_request_that_is_not_open(
    app, make_volunteer, make_request, asker
):
    make_volunteer("Vic", "beta-reading")
    request = make_request(asker)
    requests.close_request(asker, request)
    db.session.commit()
    assert suggestions(request) == []


def test_a_request_a_moderator_hid_is_suggested_to_nobody(app, make_volunteer, make_request, asker):
    vic = make_volunteer("Vic", "beta-reading")
    request = make_request(asker)
    db.session.commit()
    assert [s.request.id for s in matching.suggest_requests(vic)] == [request.id]
    db.session.add(HiddenItem(item_type="request", item_id=request.id, user_id=asker.id))
    db.session.commit()
    assert matching.suggest_requests(vic) == []


# --- the candidate index ---------------------------------------------------------------------


def test_only_the_best_ranked_volunteers_of_each_skill_are_candidates(
    app, make_volunteer, make_request, asker
):
    top = make_volunteer("Top", "beta-reading", capacity=10)
    second = make_volunteer("Second", "beta-reading", capacity=10)
    # The best text match of all, but busy lately: the lowest rank_score.
    busy = make_volunteer(
        "Busy",
        "beta-reading",
        capacity=10,
        about="Epic fantasy, lighthouse keepers, pacing notes: my favourite things.",
    )
    offer_of(second).recent_matches = 1
    offer_of(busy).recent_matches = 6
    _pin(top, second, busy)
    ranks = {u.display_name: offer_of(u).rank_score for u in (top, second, busy)}
    assert ranks["Top"] > ranks["Second"] > ranks["Busy"]
    links = db.session.scalars(select(OfferSkill).where(OfferSkill.user_id == busy.id)).all()
    assert [link.rank_score for link in links] == [ranks["Busy"]]  # copied to the index

    request = make_request(asker)
    assert matching.candidate_volunteer_ids(reload(request), per_skill=2) == {top.id, second.id}
    assert "Busy" not in names(request, per_skill=2)
    assert names(request, per_skill=3)[0] == "Busy"  # scored in full, its text wins

    # Each skill of the request brings its own best candidates.
    critic = make_volunteer("Critic", "critique", capacity=10)
    offer_of(critic).recent_matches = 9
    _pin(critic)
    both = make_request(asker, "beta-reading", "critique", title="Two kinds of help")
    assert matching.candidate_volunteer_ids(reload(both), per_skill=2) == {
        top.id,
        second.id,
        critic.id,
    }


def _crowd(make_volunteer, count: int, *skills: str, **kwargs) -> list:
    """``count`` volunteers ranked above anyone with a recent match, fitting poorly."""
    crowd = [
        make_volunteer(f"Crowd {index}", *skills, capacity=10, **kwargs) for index in range(count)
    ]
    _pin(*crowd)
    return crowd


def test_the_best_fit_is_found_far_down_the_rank(app, make_volunteer, make_request, asker):
    """Genre and timezone outweigh a lower rank: the fitting volunteer is found
    even when more volunteers than the pool holds rank above them."""
    crowd = _crowd(make_volunteer, 4, "beta-reading", genres=["romance"], timezone="Asia/Tokyo")
    fit = make_volunteer(
        "Fit", "beta-reading", capacity=10, genres=["fantasy"], timezone="Europe/Dublin"
    )
    offer_of(fit).recent_matches = 2
    _pin(fit)
    assert offer_of(fit).rank_score < min(offer_of(user).rank_score for user in crowd)

    request = make_request(asker, format="live_chat")
    found = suggestions(request, per_skill=2)
    # The rank alone would pick two of the crowd and never score Fit.
    assert fit.id in matching.candidate_volunteer_ids(reload(request), per_skill=2)
    assert found[0].volunteer.id == fit.id
    assert found[0].reasons[:1] == ["beta reading and fantasy in common"]
    assert "same timezone" in found[0].reasons
    # A pool only chooses whom to score: the fit is said what scoring everyone says.
    everyone = suggestions(request, per_skill=1_000)[0]
    assert (everyone.volunteer.id, everyone.reasons) == (fit.id, found[0].reasons)
    assert everyone.score == pytest.approx(found[0].score)  # "now" moved on a little


def test_the_genre_pool_reads_profile_genres_too(app, make_volunteer, make_request, asker):
    _crowd(make_volunteer, 3, "beta-reading", genres=["romance"])
    writer = make_volunteer("Writer", "beta-reading", capacity=10, profile_genres=["fantasy"])
    offer_of(writer).recent_matches = 1
    _pin(writer)
    request = make_request(asker, genre="fantasy")  # written: no timezone pool
    assert names(request, per_skill=1)[0] == "Writer"


def test_the_timezone_pool_serves_live_requests_without_a_genre(
    app, make_volunteer, make_request, asker
):
    _crowd(make_volunteer, 3, "beta-reading", timezone="Asia/Tokyo")
    near = make_volunteer("Near", "beta-reading", capacity=10, timezone="Europe/Paris")
    offer_of(near).recent_matches = 1
    _pin(near)
    live = make_request(asker, genre=None, format="live_chat")
    written = make_request(asker, genre=None, title="Notes on my draft, in writing")
    assert names(live, per_skill=1)[0] == "Near"
    # Written help has no timezone signal, so no timezone pool: the rank decides.
    assert "Near" not in names(written, per_skill=1)


def test_pools_keep_the_hard_filters_before_their_limit(
    app, make_user, make_volunteer, make_request, asker
):
    """An ineligible volunteer who fits better takes no eligible one's place in a pool."""
    _crowd(make_volunteer, 3, "beta-reading", genres=["romance"], timezone="Asia/Tokyo")
    fit = make_volunteer("Fit", "beta-reading", capacity=10, genres=["fantasy"])
    offer_of(fit).recent_matches = 1
    unverified = make_volunteer("Unverified", "beta-reading", capacity=10, genres=["fantasy"])
    unverified.email_verified_at = None
    resting = make_volunteer("Resting", "beta-reading", genres=["fantasy"], on_break=True)
    gone = make_volunteer("Gone", "beta-reading", capacity=10, genres=["fantasy"])
    gone.deleted_at = utcnow()
    blocked = make_volunteer("Blocked", "beta-reading", capacity=10, genres=["fantasy"])
    _pin(fit, unverified, resting, gone, blocked)
    blocking.block(asker, blocked)
    db.session.commit()
    request = make_request(asker, format="live_chat")
    candidates = matching.candidate_volunteer_ids(reload(request), per_skill=1)
    assert not {unverified.id, resting.id, gone.id} & candidates
    assert blocked.id in candidates  # suggest_volunteers leaves blocks out, below
    candidates = matching.candidate_volunteer_ids(
        reload(request), per_skill=1, excluded={blocked.id}
    )
    assert fit.id in candidates and blocked.id not in candidates
    assert names(request, per_skill=1)[0] == "Fit"
    assert not {"Unverified", "Resting", "Gone", "Blocked"} & set(names(request, per_skill=100))


def test_near_zones():
    from datetime import UTC, datetime

    january = datetime(2025, 1, 15, 12, 30, tzinfo=UTC)
    near = matching.near_zones("Europe/London", january)
    assert {"Europe/London", "Europe/Dublin", "Europe/Paris", "Africa/Cairo"} <= set(near)
    assert "Asia/Tokyo" not in near and "America/New_York" not in near
    assert "Europe/Moscow" not in near  # three hours ahead in winter
    assert matching.near_zones("Europe/London", january, hours=0) == [
        name for name in near if matching.hours_apart("Europe/London", name, january) == 0
    ]
    assert matching.near_zones(None, january) == []
    assert matching.near_zones("Not/AZone", january) == []


def test_limit(app, make_volunteer, make_request, asker):
    for index in range(5):
        make_volunteer(f"Volunteer {index}", "beta-reading")
    request = make_request(asker)
    assert len(suggestions(request, limit=3)) == 3
    assert len(suggestions(request)) == 5


# --- rerank_all ----------------------------------------------------------------------------


def test_rerank_all_recomputes_the_counters_from_the_matches(
    app, make_user, make_volunteer, make_offer, make_request, asker
):
    make_offer(asker, "critique")  # so her "received" count is kept
    vic = make_volunteer("Vic", "beta-reading", capacity=10)
    idle = make_volunteer("Idle", "beta-reading", capacity=10)
    first = accept(asker, answer(vic, make_request(asker, title="First novel")))
    old = accept(asker, answer(vic, make_request(asker, title="Second novel")))
    cancelled = accept(asker, answer(vic, make_request(asker, title="Third novel")))
    matches.cancel_match(vic, cancelled, "Too much at once")
    db.session.execute(
        update(Match).where(Match.id == old.id).values(created_at=utcnow() - timedelta(days=40))
    )
    # Counters gone wrong (a crash, a manual fix in the database...).
    db.session.execute(
        update(VolunteerOffer).values(
            recent_matches=99, helped_count=99, received_count=99, rank_score=0
        )
    )
    db.session.commit()
    assert first.id

    assert rank.rerank_all(batch=1) == 3
    vic_offer, idle_offer, asker_offer = (offer_of(u) for u in (vic, idle, asker))
    db.session.expire_all()
    assert (vic_offer.recent_matches, vic_offer.helped_count, vic_offer.received_count) == (
        1,  # the 40-day-old match is no longer recent; the cancelled one never counts
        2,
        0,
    )
    assert (idle_offer.recent_matches, idle_offer.helped_count) == (0, 0)
    assert asker_offer.received_count == 2
    for offer in (vic_offer, idle_offer, asker_offer):
        assert offer.rank_score > 0
        assert {link.rank_score for link in offer.skill_links} == {offer.rank_score}
    # Fairness: Idle, never matched, now ranks above Vic.
    assert idle_offer.rank_score > vic_offer.rank_score
    request = make_request(asker, title="Fourth novel")
    assert names(request)[0] == "Idle"


def test_rerank_from_the_cli(app, make_volunteer):
    make_volunteer("Vic", "beta-reading")
    result = app.test_cli_runner().invoke(args=["jobs", "rerank-volunteers"])
    assert result.exit_code == 0 and result.output.strip() == "rerank-volunteers: 1"


# --- requests for a volunteer ------------------------------------------------------------------


def request_titles(volunteer, **kwargs) -> list[str]:
    return [s.request.title for s in matching.suggest_requests(volunteer, **kwargs)]


def test_requests_for_a_volunteer_share_a_skill(app, make_user, make_volunteer, make_request):
    vic = make_volunteer("Vic", "beta-reading", "copyediting")
    ann = make_user()
    make_request(ann, "beta-reading", title="Beta readers wanted")
    make_request(ann, "copyediting", "proofreading", title="Copyedit my memoir")
    make_request(ann, "critique", title="Critique my opening chapter")
    closed = make_request(ann, "beta-reading", title="Closed request here")
    requests.close_request(ann, closed)
    db.session.commit()
    assert sorted(request_titles(vic)) == ["Beta readers wanted", "Copyedit my memoir"]
    assert request_titles(vic, limit=1) and len(request_titles(vic, limit=1)) == 1


def test_requests_for_a_volunteer_leave_out_their_own_and_answered_ones(
    app, make_user, make_volunteer, make_request
):
    vic = make_volunteer("Vic", "beta-reading")
    ann = make_user()
    make_request(vic, title="Vic's own novel")
    answered = make_request(ann, title="Already answered novel")
    answer(vic, answered)
    invited = make_request(ann, title="Invited to this novel")
    answers.invite_volunteer(ann, invited, vic)
    db.session.commit()
    make_request(ann, title="A fresh novel to read")
    assert request_titles(vic) == ["A fresh novel to read"]


def test_requests_for_a_member_without_an_offer_use_the_profile(app, make_user, make_request):
    from community.profiles import taxonomy

    member = make_user()
    member.profile.offered_skills = taxonomy.skills_by_slugs(["critique"])[0]
    db.session.commit()
    ann = make_user()
    make_request(ann, "critique", title="Critique my opening chapter")
    make_request(ann, "beta-reading", title="Beta readers wanted")
    assert request_titles(member) == ["Critique my opening chapter"]
    assert request_titles(make_user()) == []  # offers nothing: nothing to suggest


def test_requesters_who_help_others_rise(app, make_user, make_volunteer, make_request, monkeypatch):
    vic = make_volunteer("Vic", "beta-reading")
    helper = make_volunteer("Hana Helper", "critique", capacity=5)
    plain = make_user(display_name="Pat Plain")
    # Hana has helped someone here.
    someone = make_user()
    accept(someone, answer(helper, make_request(someone, "critique", title="Someone's novel")))
    # Hana's request is older: the tie-break (newest first) would put it second.
    hanas = make_request(helper, title="Hana's novel needs readers")
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == hanas.id)
        .values(created_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    make_request(plain, title="Pat's novel needs readers")

    found = matching.suggest_requests(vic)
    assert [s.request.title for s in found] == [
        "Hana's novel needs readers",
        "Pat's novel needs readers",
    ]
    assert "Hana has helped 1 member here" in found[0].reasons
    assert found[0].signals["reciprocity"] > found[1].signals["reciprocity"]

    monkeypatch.setitem(rank.WEIGHTS, "reciprocity", 0)
    assert request_titles(vic) == ["Pat's novel needs readers", "Hana's novel needs readers"]


def test_requests_for_a_volunteer_score_skills_genre_and_text(
    app, make_user, make_volunteer, make_request
):
    vic = make_volunteer(
        "Vic", "beta-reading", "critique", genres=["fantasy"], about="Lighthouses, always."
    )
    ann = make_user()
    make_request(ann, "beta-reading", genre="romance", title="Plain request", details="x" * 30)
    make_request(ann, "beta-reading", genre="fantasy", title="Genre request", details="y" * 30)
    make_request(
        ann,
        "beta-reading",
        "critique",
        genre="romance",
        title="Skills request",
        details="z" * 30,
    )
    make_request(
        ann,
        "beta-reading",
        genre="romance",
        title="Text request",
        details="A tale about a lighthouse.",
    )
    found = {s.request.title: s for s in matching.suggest_requests(vic)}
    assert found["Skills request"].signals["skills"] == 1.0
    assert found["Plain request"].signals["skills"] == 1.0  # its one skill is shared
    assert found["Genre request"].signals["genre"] == 1.0
    assert "beta reading and fantasy in common" in found["Genre request"].reasons
    assert found["Text request"].signals["text"] > 0
    assert "mentions “lighthouse”" in found["Text request"].reasons
    assert found["Plain request"].score < min(
        found[t].score for t in ("Genre request", "Text request")
    )


# --- the pieces ----------------------------------------------------------------------------------


def test_keywords_and_text_relevance():
    words = matching.keywords("Beta readers for my Fantasy novel: the lighthouse keepers!")
    assert {"fantasy", "novel", "lighthouse", "keep", "read"} <= words
    assert "the" not in words and "for" not in words
    assert matching.text_relevance(words, frozenset()) == 0
    assert matching.text_relevance(words, words) == pytest.approx(1)
    assert 0 < matching.text_relevance(words, matching.keywords("lighthouse")) < 1


def test_hours_apart():
    from datetime import UTC, datetime

    january = datetime(2025, 1, 15, 12, tzinfo=UTC)
    assert matching.hours_apart("Europe/London", "Asia/Tokyo", january) == 9
    assert matching.hours_apart("Pacific/Auckland", "Pacific/Honolulu", january) == 1  # wraps
    assert matching.hours_apart("Europe/London", None) is None
    assert matching.hours_apart("Europe/London", "Not/AZone") is None
    assert matching.timezone_signal(None) == 0.5
    assert matching.timezone_signal(0) == 1 and matching.timezone_signal(12) == 0
