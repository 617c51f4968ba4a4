"""Fixtures for the attack tests (issue 10): the chat area's live server,
matched pair and Socket.IO members, reused as they are."""

from tests.chat.conftest import member, pair, server  # noqa: F401
from tests.helping.conftest import make_volunteer  # noqa: F401
