"""Pages of the reading room: thin adapters over community.manuscripts.service.

Every page is private: ``noindex`` and ``Cache-Control: private, no-store``
on every response of this blueprint; what a viewer may not read is a 404
(admins included). Uploads may be larger than the site's usual request
limit, so the two upload routes raise the limit for themselves, before
anything reads the body (Werkzeug then refuses a larger body with 413).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from community.db import db
from community.errors import Invalid, NotFound
from community.helping.models import HelpRequest
from community.manuscripts import conversion, export, service
from community.manuscripts.forms import (
    AnswerForm,
    CommentForm,
    ConfirmForm,
    InviteForm,
    NoteForm,
    OptionsForm,
    QuestionForm,
    ReplyForm,
    UploadForm,
    VersionForm,
)
from community.manuscripts.models import Chapter, Comment
from community.site.actions import error_on_field, run

bp = Blueprint("manuscripts", __name__)
UPLOAD_ENDPOINTS = {"manuscripts.new", "manuscripts.new_version"}


@bp.app_context_processor
def _helpers():
    def readable_manuscript(request_id: int):
        """The request's manuscript if the viewer may read it (else None)."""
        return service.readable_for(current_user, request_id)

    def reading_of(match):
        """The helper's reading of the match's manuscript, for its author (or None)."""
        return service.reading_for_author(current_user, match)

    return {"readable_manuscript": readable_manuscript, "reading_of": reading_of}


@bp.url_value_preprocessor
def _upload_limit(endpoint, values):
    # Runs before every before_request hook (CSRF reads the form there).
    if endpoint in UPLOAD_ENDPOINTS:
        limit = current_app.config["MANUSCRIPT_MAX_BYTES"]
        request.max_content_length = limit
        request.max_form_memory_size = limit


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _access(manuscript_id: int) -> service.Access:
    try:
        return service.access_manuscript(current_user, manuscript_id)
    except NotFound:
        abort(404)


def _author(manuscript_id: int):
    access = _access(manuscript_id)
    if not access.is_author:
        abort(404)
    return access.manuscript


def _chapter(manuscript_id: int, position: int):
    try:
        return service.access_chapter(current_user, manuscript_id, position)
    except NotFound:
        abort(404)


def _converted(form):
    """The upload or the pasted text, converted; raises Invalid."""
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        data = upload.read(current_app.config["MANUSCRIPT_MAX_BYTES"] + 1)
        if len(data) > current_app.config["MANUSCRIPT_MAX_BYTES"]:
            raise Invalid("That file is too large.", field="file")
        return conversion.convert_upload(data, service.limits())
    return conversion.convert_text(form.text.data or "", service.limits())


# --- the author's side -------------------------------------------------------------


@bp.route("/requests/<int:request_id>/manuscript", methods=["GET", "POST"])
@login_required
def new(request_id: int):
    help_request = db.session.get(HelpRequest, request_id)
    if help_request is None or help_request.requester_id != current_user.id:
        abort(404)
    existing = service.manuscript_for_request(request_id)
    if existing is not None:
        return redirect(url_for("manuscripts.show", manuscript_id=existing.id))
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        manuscript, error = run(
            lambda: service.add_manuscript(
                current_user, help_request, form.title.data, _converted(form)
            )
        )
        if error is None:
            flash("Your manuscript is in. Invite your readers below.", "success")
            return redirect(url_for("manuscripts.show", manuscript_id=manuscript.id))
        if not error_on_field(form, error):
            form.text.errors = [*form.text.errors, str(error)]
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template(
        "manuscripts/new.html", form=form, help_request=help_request, status=status
    ), status


@bp.get("/manuscripts/<int:manuscript_id>")
@login_required
def show(manuscript_id: int):
    access = _access(manuscript_id)
    manuscript = access.manuscript
    chapters = db.session.scalars(
        select(Chapter).where(Chapter.manuscript_id == manuscript.id).order_by(Chapter.position)
    ).all()
    context = {"access": access, "manuscript": manuscript, "chapters": chapters}
    if access.is_author:
        invite = InviteForm()
        invitable = service.invitable_matches(manuscript)
        invite.match_id.choices = [(m.id, m.helper.display_name) for m in invitable]
        context.update(
            readers=service.readers_of(manuscript),
            invite_form=invite,
            version_form=VersionForm(),
            options_form=OptionsForm(
                allow_downloads=manuscript.allow_downloads,
                share=manuscript.readers_see_each_other,
            ),
            confirm=ConfirmForm(),
            access_until=service.access_until,
        )
    else:
        context.update(read=service.chapters_read(access.reader))
    context["earlier"] = service.earlier_comments(access)
    return render_template("manuscripts/show.html", **context)


@bp.post("/manuscripts/<int:manuscript_id>/version")
@login_required
def new_version(manuscript_id: int):
    manuscript = _author(manuscript_id)
    form = VersionForm()
    if form.validate_on_submit():
        counts, error = run(
            lambda: service.upload_version(current_user, manuscript, _converted(form))
        )
        if error is None:
            flash(
                f"Version {manuscript.version} is in: {counts['kept']} comments kept their place, "
                f"{counts['earlier']} are now on an earlier version.",
                "success",
            )
            return redirect(url_for("manuscripts.show", manuscript_id=manuscript_id))
        flash(str(error), "error")
    else:
        flash("Choose a file or paste the text.", "error")
    return redirect(url_for("manuscripts.show", manuscript_id=manuscript_id))


@bp.post("/manuscripts/<int:manuscript_id>/readers")
@login_required
def invite(manuscript_id: int):
    manuscript = _author(manuscript_id)
    form = InviteForm()
    form.match_id.choices = []
    if not form.validate_on_submit():
        flash("Choose a reader, and chapters as whole numbers.", "error")
        return redirect(url_for("manuscripts.show", manuscript_id=manuscript_id))
    reader, error = run(
        service.invite_reader,
        current_user,
        manuscript,
        form.match_id.data,
        form.first_chapter.data,
        form.last_chapter.data,
    )
    if error is None:
        flash(f"{reader.user.display_name} can read it now.", "success")
    else:
        flash(str(error), "error")
    return redirect(url_for("manuscripts.show", manuscript_id=manuscript_id))


def _reader_action(manuscript_id: int, reader_id: int, action, message: str):
    manuscript = _author(manuscript_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reader, error = run(action, current_user, manuscript, reader_id)
    flash(str(error) if error else message.format(name=reader.user.display_name), "success")
    return redirect(url_for("manuscripts.show", manuscript_id=manuscript_id))


@bp.post("/manuscripts/<int:manuscript_id>/readers/<int:reader_id>/revoke")
@login_required
def revoke(manuscript_id: int, reader_id: int):
    return _reader_action(
        manuscript_id, reader_id, service.revoke_reader, "{name} can no longer read it."
    )


@bp.post("/manuscripts/<int:manuscript_id>/readers/<int:reader_id>/extend")
@login_required
def extend(manuscript_id: int, reader_id: int):
    return _reader_action(
        manuscript_id, reader_id, service.extend_reader, "{name} may read it for longer."
    )


@bp.post("/manuscripts/<int:manuscript_id>/options")
@login_required
def options(manuscript_id: int):
    manuscript = _author(manuscript_id)
    form = OptionsForm()
    if not form.validate_on_submit():
        abort(400)
    run(
        lambda: service.set_options(
            current_user,
            manuscript,
            allow_downloads=form.allow_downloads.data,
            share=form.share.data,
        )
    )
    flash("Saved.", "success")
    return redirect(url_for("manuscripts.show", manuscript_id=manuscript_id))


@bp.post("/manuscripts/<int:manuscript_id>/delete")
@login_required
def delete(manuscript_id: int):
    manuscript = _author(manuscript_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    request_id = manuscript.request_id
    run(service.delete_manuscript, current_user, manuscript)
    flash("The manuscript and every comment on it are deleted.", "success")
    return redirect(url_for("helping.show_request", request_id=request_id))


# --- reading -----------------------------------------------------------------------


@bp.get("/manuscripts/<int:manuscript_id>/chapters/<int:position>")
@login_required
def chapter(manuscript_id: int, position: int):
    access, chapter_row = _chapter(manuscript_id, position)
    # The page is rendered before the reader's place is saved: the commit
    # expires every loaded row, and reloading them cost more than the page.
    page = _chapter_page(access, chapter_row)
    if service.position_changes(access, chapter_row):
        run(service.record_position, access, chapter_row)
    return page


def _chapter_page(access, chapter_row, status: int = 200, **forms):
    manuscript = access.manuscript
    paragraphs = service.paragraphs_of(chapter_row)
    comments = service.visible_comments(access, chapter_row)
    on_paragraph: dict[str, list] = {}
    notes = []
    for comment in comments:
        if comment.kind == "note":
            notes.append(comment)
        elif not comment.earlier_version:
            on_paragraph.setdefault(comment.paragraph_key, []).append(comment)
    count = access.chapter_count
    author = access.is_author
    first = 1 if access.is_author else (access.reader.first_chapter or 1)
    last = count if access.is_author else (access.reader.last_chapter or count)
    questions = service.questions_of(chapter_row)
    answers = service.answers_to(access, chapter_row) if questions else []
    return render_template(
        "manuscripts/chapter.html",
        access=access,
        manuscript=manuscript,
        chapter=chapter_row,
        paragraphs=paragraphs,
        on_paragraph=on_paragraph,
        notes=notes,
        questions=questions,
        answers=answers,
        previous=position_or_none(chapter_row.position - 1, first, last),
        next=position_or_none(chapter_row.position + 1, first, last),
        # Readers comment and leave notes, the author asks: each sees only their forms.
        comment_form=None if author else forms.get("comment_form") or CommentForm(),
        note_form=None if author else forms.get("note_form") or NoteForm(),
        question_form=(forms.get("question_form") or QuestionForm()) if author else None,
        # The reply and resolve routes of every comment sit under this prefix;
        # built once, not once per comment (url_for was a tenth of the page).
        comments_url=url_for("manuscripts.show", manuscript_id=manuscript.id) + "/comments/",
        # Reports go through moderation's one report form (the item type and id follow).
        report_url=url_for("moderation.report", item_type="_", item_id=0).removesuffix("_/0"),
        # One token for every form of the page (hidden_tag and generate_csrf cost
        # more per form than the rest of a comment; measured in bench/manuscript.py).
        csrf=generate_csrf(),
        is_author=author,
        viewer_id=current_user.id,
        is_read=(not access.is_author and chapter_row.id in service.chapters_read(access.reader)),
    ), status


def position_or_none(position: int, first: int, last: int) -> int | None:
    return position if first <= position <= last else None


def _back(manuscript_id: int, position: int, anchor: str | None = None):
    return redirect(
        url_for("manuscripts.chapter", manuscript_id=manuscript_id, position=position)
        + (f"#{anchor}" if anchor else "")
    )


@bp.post("/manuscripts/<int:manuscript_id>/chapters/<int:position>/comments")
@login_required
def comment(manuscript_id: int, position: int):
    access, chapter_row = _chapter(manuscript_id, position)
    form = CommentForm()
    if form.validate_on_submit():
        made, error = run(
            service.add_comment,
            access,
            chapter_row,
            form.paragraph.data,
            form.quote.data,
            form.body.data,
        )
        if error is None:
            flash("Your comment is saved.", "success")
            return _back(manuscript_id, position, made.paragraph_key)
        if not error_on_field(form, error):
            form.body.errors = [*form.body.errors, str(error)]
    access, chapter_row = _chapter(manuscript_id, position)
    return _chapter_page(access, chapter_row, 400, comment_form=form)


@bp.post("/manuscripts/<int:manuscript_id>/chapters/<int:position>/notes")
@login_required
def note(manuscript_id: int, position: int):
    access, chapter_row = _chapter(manuscript_id, position)
    form = NoteForm()
    if form.validate_on_submit():
        _, error = run(service.add_note, access, chapter_row, form.note.data)
        if error is None:
            flash("Your note is saved.", "success")
            return _back(manuscript_id, position, "notes")
        if not error_on_field(form, error):
            form.note.errors = [*form.note.errors, str(error)]
    access, chapter_row = _chapter(manuscript_id, position)
    return _chapter_page(access, chapter_row, 400, note_form=form)


@bp.post("/manuscripts/<int:manuscript_id>/chapters/<int:position>/read")
@login_required
def mark_read(manuscript_id: int, position: int):
    access, chapter_row = _chapter(manuscript_id, position)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    finished, error = run(service.mark_chapter_read, access, chapter_row)
    if error is not None:
        flash(str(error), "error")
        return _back(manuscript_id, position)
    if finished:
        flash("You finished the read. Thank you!", "success")
        return redirect(url_for("manuscripts.show", manuscript_id=manuscript_id))
    flash(f"Chapter {position} marked read.", "success")
    return (
        _back(manuscript_id, position + 1)
        if _has(manuscript_id, position + 1)
        else _back(manuscript_id, position)
    )


def _has(manuscript_id: int, position: int) -> bool:
    try:
        service.access_chapter(current_user, manuscript_id, position)
    except NotFound:
        return False
    return True


@bp.post("/manuscripts/<int:manuscript_id>/chapters/<int:position>/questions")
@login_required
def ask(manuscript_id: int, position: int):
    access, chapter_row = _chapter(manuscript_id, position)
    if not access.is_author:
        abort(404)
    form = QuestionForm()
    if form.validate_on_submit():
        _, error = run(
            service.ask_question, current_user, access.manuscript, chapter_row, form.question.data
        )
        if error is None:
            flash("Your question is added.", "success")
            return _back(manuscript_id, position, "questions")
        if not error_on_field(form, error):
            form.question.errors = [*form.question.errors, str(error)]
    access, chapter_row = _chapter(manuscript_id, position)
    return _chapter_page(access, chapter_row, 400, question_form=form)


@bp.post("/manuscripts/<int:manuscript_id>/chapters/<int:position>/questions/<int:question_id>")
@login_required
def answer(manuscript_id: int, position: int, question_id: int):
    access, chapter_row = _chapter(manuscript_id, position)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    _, error = run(service.answer_question, access, chapter_row, question_id, form.answer.data)
    flash(str(error) if error else "Your answer is saved.", "error" if error else "success")
    return _back(manuscript_id, position, "questions")


@bp.post("/manuscripts/<int:manuscript_id>/comments/<int:comment_id>/reply")
@login_required
def reply(manuscript_id: int, comment_id: int):
    access = _access(manuscript_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    _made, error = run(service.reply, access, comment_id, form.reply.data)
    flash(str(error) if error else "Your reply is sent.", "error" if error else "success")
    return _back_to_comment(access, comment_id)


@bp.post("/manuscripts/<int:manuscript_id>/comments/<int:comment_id>/resolve")
@login_required
def resolve(manuscript_id: int, comment_id: int):
    access = _access(manuscript_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _comment_row, _ = run(service.resolve, access, comment_id, request.form.get("undo") != "1")
    return _back_to_comment(access, comment_id)


def _back_to_comment(access, comment_id: int):
    comment_row = db.session.get(Comment, comment_id)
    chapter_row = db.session.get(Chapter, comment_row.chapter_id) if comment_row else None
    if chapter_row is None:
        return redirect(url_for("manuscripts.show", manuscript_id=access.manuscript.id))
    return _back(access.manuscript.id, chapter_row.position, f"comment-{comment_id}")


# --- export ------------------------------------------------------------------------


def _downloadable(manuscript_id: int, with_text: bool):
    """The author downloads everything; a reader their own comments, and the
    .docx (which carries the commented chapters' text) only if the author allows."""
    access = _access(manuscript_id)
    if with_text and not access.is_author and not access.manuscript.allow_downloads:
        abort(404)
    return access, service.all_comments(access)


@bp.get("/manuscripts/<int:manuscript_id>/comments.docx")
@login_required
def export_docx(manuscript_id: int):
    access, comments = _downloadable(manuscript_id, with_text=True)
    body = export.to_docx(access.manuscript, comments)
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": 'attachment; filename="comments.docx"'},
    )


@bp.get("/manuscripts/<int:manuscript_id>/comments.md")
@login_required
def export_markdown(manuscript_id: int):
    access, comments = _downloadable(manuscript_id, with_text=False)
    return Response(
        export.to_markdown(access.manuscript, comments),
        mimetype="text/markdown",
        headers={"Content-Disposition": 'attachment; filename="comments.md"'},
    )
