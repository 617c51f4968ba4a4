"""Fixtures for the attack tests (issue 10): the chat area's live server,
matched pair and Socket.IO members, reused as they are."""

from tests.chat.conftest import member, pair, server  # noqa: F401
from tests.helping.conftest import (  # noqa: F401
    make_offer,
    make_request,
    make_volunteer,
)
