"""Signals of the accounts area, for the areas above it to react to.

Accounts sits below helping, network and the rest, so it cannot call them;
what they must do when a member leaves they do on :data:`member_leaving`.
Receivers run inside the caller's transaction (they flush, never commit),
so the deletion and everything they end commit together or not at all.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with the member (still with their name) just before their account is
#: erased; keyword ``reason`` is ``"deleted"``.
member_leaving = _signals.signal("member-leaving")
