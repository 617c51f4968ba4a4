from community.db import db
from community.helping import matches, matching, requests
from community.helping.models import MatchStatus, RequestStatus
from tests import builders


def test_post_answer_accept_and_introduce(app, make_user, make_offer, make_request, mailbox):
    ann = make_user(email="ann@example.com", display_name="Ann Asker")
    bob = make_user(email="bob@example.com", display_name="Bob Helper")
    make_offer(bob, "beta-reading", genres=["fantasy"], note="I love lighthouse stories")
    request = make_request(ann)

    suggestions = matching.suggest_volunteers(request)
    assert [s.volunteer.id for s in suggestions] == [bob.id]
    assert any("beta reading" in reason for reason in suggestions[0].reasons)
    for_bob = matching.suggest_requests(bob)
    assert [s.request.id for s in for_bob] == [request.id]

    answer = builders.answer(bob, request, "I'd be glad to read it!")
    match = builders.accept(ann, answer)
    assert match.status == MatchStatus.ACTIVE
    db.session.refresh(request)
    assert request.status == RequestStatus.MATCHED
    intro = [m for m in mailbox.messages() if "Meet" in m["Subject"]]
    assert sorted(m["To"] for m in intro) == ["ann@example.com", "bob@example.com"]
    assert matches.send_introductions(match.id) is False

    board = requests.board_page(requests.BoardFilters(q="lighthouse"))
    assert board.items == []  # matched requests leave the board
