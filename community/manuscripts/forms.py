"""Forms of the reading room. They parse; the rules live in the service module."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from community.forms import KindredForm
from community.helping.forms import _plain, _plain_multiline


class UploadForm(KindredForm):
    title = StringField("Title", filters=[_plain])
    file = FileField("A .docx, .md or .txt file")
    text = TextAreaField("Or paste the text", filters=[_plain_multiline])


class VersionForm(KindredForm):
    file = FileField("The new version (.docx, .md or .txt)")
    text = TextAreaField("Or paste it", filters=[_plain_multiline])


class InviteForm(KindredForm):
    match_id = SelectField("Helper to invite", coerce=int, validate_choice=False)
    first_chapter = IntegerField("From chapter", validators=[Optional()])
    last_chapter = IntegerField("To chapter", validators=[Optional()])


class OptionsForm(KindredForm):
    allow_downloads = BooleanField(
        "Readers may download their comments as .docx (it holds the text they commented on)"
    )
    share = BooleanField("Readers see each other's comments")


class CommentForm(KindredForm):
    paragraph = HiddenField()
    quote = TextAreaField("The words you selected", filters=[_plain_multiline])
    body = TextAreaField("Your comment", filters=[_plain_multiline])


class NoteForm(KindredForm):
    note = TextAreaField("A note on this chapter", filters=[_plain_multiline])


class QuestionForm(KindredForm):
    question = StringField("Ask your readers about this chapter", filters=[_plain])


class AnswerForm(KindredForm):
    answer = TextAreaField("Your answer", filters=[_plain_multiline])


class ReplyForm(KindredForm):
    reply = TextAreaField("Reply", filters=[_plain_multiline])


class ConfirmForm(KindredForm):
    """A button: only the CSRF token."""
