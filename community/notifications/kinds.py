"""The kinds of notification, each with its wording and email default.

A feature that notifies adds its kind here. ``message`` is formatted with the
notification's data; ``endpoint`` (with ``link_args`` keys taken from the
data) is where clicking the notification leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IMMEDIATE, DAILY, OFF = "immediate", "daily", "off"
# A kind that is itself a weekly round-up (its own job makes the email)
# offers WEEKLY; see NotificationKind.deliveries.
WEEKLY = "weekly"
DELIVERIES = {
    IMMEDIATE: "Email me straight away",
    DAILY: "Include in a daily digest",
    WEEKLY: "Email me once a week",
    OFF: "Only show it on the site",
}
# What most kinds offer. Every kind offers OFF (unsubscribing sets it).
USUAL_DELIVERIES = (IMMEDIATE, DAILY, OFF)


@dataclass(frozen=True)
class NotificationKind:
    name: str
    label: str  # how the preferences page names it
    message: str  # str.format()ed with the notification's data
    endpoint: str
    default_delivery: str = IMMEDIATE
    link_args: tuple[str, ...] = field(default=())
    # The email sent for it: templates/email/<email_template>/. The generic
    # one shows the message and the link; a kind may have its own, fed by the
    # ``email_context`` given to notify().
    email_template: str = "notification"
    # Repeats: a notification whose data has the same values under these keys
    # as one of this kind the member got within the repeat window
    # (NOTIFICATION_REPEAT_HOURS) is dropped, email and all, so that undoing
    # and redoing an act (follow, unfollow, follow) does not notify again.
    # With ``repeat_while_unread``, only while that one is still unread (a
    # conversation's next message is news once the last one was read).
    same_thing: tuple[str, ...] = field(default=())
    repeat_while_unread: bool = False
    # The choices the preferences page offers for it, in DELIVERIES' order.
    deliveries: tuple[str, ...] = USUAL_DELIVERIES

    def choices(self) -> dict[str, str]:
        """The deliveries a member may choose for this kind, with their words."""
        return {value: label for value, label in DELIVERIES.items() if value in self.deliveries}


KINDS: dict[str, NotificationKind] = {
    kind.name: kind
    for kind in (
        NotificationKind(
            "welcome",
            "Welcome and getting started",
            "Welcome to Kindred! Tell other authors about yourself: what you write, "
            "what you would love help with, and what you can offer.",
            "profiles.edit",
        ),
        NotificationKind(
            "announcement",
            "Announcements from the site's hosts",
            "{title}",
            "notifications.index",
            default_delivery=DAILY,
        ),
        NotificationKind(
            "new_follower",
            "Someone follows you",
            "{name} started following you. Follow back, and welcome them personally?",
            "network.new_follower",
            link_args=("user_id",),
            same_thing=("user_id",),
        ),
        NotificationKind(
            "welcome_received",
            "Personal welcomes from other members",
            "{name} wrote to you: “{excerpt}”",
            "network.welcomes_received",
        ),
        NotificationKind(
            "answer_received",
            "Someone offers to help with your request",
            "{name} offered to help with “{title}”.",
            "helping.show_request",
            link_args=("request_id",),
            same_thing=("request_id", "user_id"),
        ),
        NotificationKind(
            "answer_comment",
            "Questions and replies about an offer of help",
            "{name} wrote to you about “{title}”.",
            "helping.show_request",
            link_args=("request_id",),
            same_thing=("request_id", "user_id"),
            repeat_while_unread=True,
        ),
        NotificationKind(
            "answer_declined",
            "Your offer of help was declined",
            "{name} thanked you for offering to help with “{title}”, and found help elsewhere.",
            "helping.show_request",
            link_args=("request_id",),
            default_delivery=DAILY,
        ),
        NotificationKind(
            "invitation_received",
            "You are invited to help",
            "{name} invited you to help with “{title}”.",
            "helping.show_request",
            link_args=("request_id",),
            same_thing=("request_id",),
        ),
        NotificationKind(
            "invitation_declined",
            "An invited volunteer cannot help",
            "{name} cannot help with “{title}” this time.",
            "helping.show_request",
            link_args=("request_id",),
            default_delivery=DAILY,
        ),
        NotificationKind(
            "invitation_expired",
            "An invited volunteer could not answer in time (with others who could help)",
            "{name} could not take on “{title}” right now; here are others who could help: "
            "{others}.",
            "helping.show_request",
            link_args=("request_id",),
            email_template="invitation_expired",
            same_thing=("request_id", "user_id"),
        ),
        NotificationKind(
            "answer_expired",
            "An offer of help was not taken up in time",
            "{name} could not take up your offer for “{title}” in time. Thank you for "
            "offering: other requests could use you.",
            "helping.board",
            default_delivery=DAILY,
            same_thing=("request_id",),
        ),
        NotificationKind(
            "places_filled",
            "The helper places of a request you answered are filled",
            "The helper places of “{title}” are filled now, so your answer there is "
            "closed. Thank you for being ready to help: other requests could use you.",
            "helping.board",
            same_thing=("request_id",),
        ),
        NotificationKind(
            "match_made",
            "Introductions when you are matched",
            "You and {name} are matched for “{title}”. Say hello!",
            "helping.show_match",
            link_args=("match_id",),
            email_template="introduction",
        ),
        NotificationKind(
            "first_contact",
            "A reminder to say hello when nobody has written in a new match",
            "Nobody has written yet in your match with {name} for “{title}”. "
            "A first message, if you like: “{first_message}”",
            "chat.show",
            link_args=("conversation_id",),
            email_template="first_contact",
            same_thing=("match_id",),
        ),
        # Check-ins (community/helping/check_ins.py): an answer is needed, so
        # at once by default; the email carries the one-click answers.
        NotificationKind(
            "check_in",
            "How is it going? A check-in when a match has gone quiet (at most twice)",
            "How is it going with {name} on “{title}”? Your match has been quiet: tell us "
            "you're on it, that the help is done, or that it stalled.",
            "helping.show_match",
            link_args=("match_id",),
            email_template="check_in",
            same_thing=("match_id", "round"),
        ),
        NotificationKind(
            "match_stalled",
            "A match ended because it stalled",
            "{name} said your match for “{title}” stalled, so it has ended kindly. {next}",
            "helping.show_match",
            link_args=("match_id",),
            email_template="match_stalled",
            same_thing=("match_id",),
        ),
        NotificationKind(
            "helper_finished",
            "Your helper finished their part (a reminder to thank them, once)",
            "{name} says they finished their part of “{title}”. Mark the help received "
            "and thank them?",
            "helping.show_match",
            link_args=("match_id",),
            same_thing=("match_id",),
        ),
        NotificationKind(
            "match_cancelled",
            "A match is cancelled",
            "{name} cancelled your match for “{title}”: {reason}",
            "helping.show_match",
            link_args=("match_id",),
            email_template="match_ended",  # asks for the closing words too
        ),
        NotificationKind(
            "chat_unread",
            "Chat messages you have not read",
            "{name} wrote to you in chat: “{excerpt}”",
            "chat.show",
            link_args=("conversation_id",),
            email_template="chat_unread",
        ),
        NotificationKind(
            "request_ask",
            "A new request suits you (a few volunteers are asked at a time)",
            "“{title}” could use your help: {reasons}.",
            "helping.show_request",
            link_args=("request_id",),
            email_template="request_ask",
            same_thing=("request_id",),
        ),
        NotificationKind(
            "requests_that_fit",
            "Open requests that fit you (a weekly email, only when there are some)",
            "{count} open {requests} could use what you offer, like “{title}”: {reasons}.",
            "helping.board",
            default_delivery=OFF,
            deliveries=(WEEKLY, OFF),
            email_template="requests_that_fit",
        ),
        NotificationKind(
            "pledge_nudge",
            "Where you could keep your pledge (once, a week after you pledge)",
            "A week ago you pledged to pay help forward. {some} could use what you "
            "offer, like “{title}”: {reasons}.",
            "kindness.pledge",
            link_args=("pledge_id",),
            same_thing=("pledge_id",),
        ),
        NotificationKind(
            "request_expiring",
            "Your request will close soon",
            "Your request “{title}” closes on {expires_on} unless you keep it open.",
            "helping.keep_open",
            link_args=("token",),
        ),
        NotificationKind(
            "request_expired",
            "Your request has closed",
            "Your request “{title}” closed after a quiet month. You can open it again.",
            "helping.keep_open",
            link_args=("token",),
        ),
        NotificationKind(
            "thanks_received",
            "Someone thanks you for your help",
            "{name} thanked you for your help with “{title}”: “{excerpt}”",
            "helping.show_match",
            link_args=("match_id",),
            email_template="match_ended",  # asks for the closing words too
        ),
        NotificationKind(
            "thanks_back",
            "A helper thanks you back after a match",
            "{name} thanked you back for “{title}”: “{excerpt}”",
            "helping.show_match",
            link_args=("match_id",),
            default_delivery=DAILY,
            same_thing=("match_id",),
        ),
        NotificationKind(
            "manuscript_reading",
            "A reader is reading your manuscript (once per reading session)",
            "{name} is reading “{title}”.",
            "manuscripts.show",
            link_args=("manuscript_id",),
        ),
        NotificationKind(
            "manuscript_reply",
            "The author replies to your comment on a manuscript",
            "{name} replied to your comment on “{title}”.",
            "manuscripts.show",
            link_args=("manuscript_id",),
        ),
        NotificationKind(
            "thanks_to_confirm",
            "Someone says you helped them",
            "{name} thanked you for helping them: “{excerpt}” Was it you? Confirm it.",
            "kindness.pending_thanks",
        ),
        NotificationKind(
            "thanks_confirmed",
            "Your thanks for help outside a match is confirmed",
            "{name} confirmed they helped you: your thank-you is recorded.",
            "profiles.show",
            link_args=("user_id",),
            default_delivery=DAILY,
        ),
        NotificationKind(
            "thanks_replied",
            "A helper replies to your thank-you",
            "{name} replied to your thank-you: “{excerpt}”",
            "profiles.show",
            link_args=("user_id",),
            default_delivery=DAILY,
        ),
        NotificationKind(
            "kindness_came_back",
            "Your kindness came back to you",
            "Kindness came back to you! {chain}.",
            "kindness.ripples",
            link_args=("user_id",),
        ),
        NotificationKind(
            "moderation_warning",
            "Messages from the moderators",
            "A moderator has written to you: “{words}”",
            "moderation.standing",
        ),
        NotificationKind(
            "moderation_limited",
            "Limits on your account",
            "A moderator has paused starting conversations, requests, answers, follows and "
            "welcomes for your account until {until}: “{words}”",
            "moderation.standing",
        ),
        NotificationKind(
            "moderation_suspended",
            "Suspension of your account",
            "Your account is suspended {until}: “{words}”. You can ask for a review "
            "when you log in.",
            "moderation.standing",
        ),
        NotificationKind(
            "moderation_reinstated",
            "Reviews of moderators' actions",
            "A moderator has reviewed your case: your account is in good standing again.",
            "moderation.standing",
        ),
        NotificationKind(
            "moderation_upheld",
            "Reviews of moderators' actions",
            "A moderator has reviewed your case and the action stands.",
            "moderation.standing",
        ),
        NotificationKind(
            "report_outcome",
            "What happened to your reports",
            "{line}",
            "notifications.index",
            default_delivery=DAILY,
        ),
        NotificationKind(
            "moderation_queue",
            "Moderation: new reports",
            "There is something new in the moderation queue.",
            "moderation.queue",
        ),
        NotificationKind(
            "moderation_digest",
            "Moderation: daily reminder",
            "The moderation queue holds {cases} reports and {appeals} appeals.",
            "moderation.queue",
            default_delivery=DAILY,
        ),
    )
}


def kind(name: str) -> NotificationKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown notification kind {name!r}") from None
