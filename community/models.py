"""Every table of every area, imported in one place for the mapper and Alembic."""

from community.accounts.models import AccountToken, LoginSession, User
from community.blocks import Block
from community.chat.models import Conversation, ConversationMember, Message
from community.helping.models import (
    Answer,
    AnswerComment,
    HelpRequest,
    Match,
    OfferSkill,
    VolunteerOffer,
)
from community.jobs import JobLease
from community.kindness.models import (
    CameBack,
    HelpAct,
    KindnessPrivacy,
    MemberRipples,
    Pledge,
    RippleActBlock,
    RippleMemberState,
    RippleState,
    Thanks,
)
from community.mail.models import OutboxEmail
from community.manuscripts.models import (
    Chapter,
    ChapterRead,
    Comment,
    CommentReply,
    Manuscript,
    Paragraph,
    Question,
    QuestionAnswer,
    Reader,
)
from community.moderation.models import Appeal, AuditEntry, HiddenItem, Report
from community.network.models import Follow, Welcome
from community.notifications.models import Notification, NotificationPreference
from community.profiles.models import Genre, Profile, ProfileLink, Skill

__all__ = [
    "AccountToken",
    "Answer",
    "AnswerComment",
    "Appeal",
    "AuditEntry",
    "Block",
    "CameBack",
    "Chapter",
    "ChapterRead",
    "Comment",
    "CommentReply",
    "Conversation",
    "ConversationMember",
    "Follow",
    "Genre",
    "HelpAct",
    "HelpRequest",
    "HiddenItem",
    "JobLease",
    "KindnessPrivacy",
    "LoginSession",
    "Manuscript",
    "Match",
    "MemberRipples",
    "Message",
    "Notification",
    "NotificationPreference",
    "OfferSkill",
    "OutboxEmail",
    "Paragraph",
    "Pledge",
    "Profile",
    "ProfileLink",
    "Question",
    "QuestionAnswer",
    "Reader",
    "Report",
    "RippleActBlock",
    "RippleMemberState",
    "RippleState",
    "Skill",
    "Thanks",
    "User",
    "VolunteerOffer",
    "Welcome",
]
