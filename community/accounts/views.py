"""Routes of the accounts area: thin adapters over community.accounts.service."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from community.accounts import service, sessions
from community.accounts.forms import (
    NEW_PASSWORD_HELP,
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from community.accounts.passwords import PasswordPolicyError
from community.db import db
from community.extensions import limiter

bp = Blueprint("accounts", __name__)

CHECK_EMAIL = (
    "Thank you! If the address can be used, an email is on its way to it. "
    "Follow the link inside to continue."
)


def _login_account_key() -> str:
    return "login-account:" + service.normalize_email(request.form.get("email", ""))[:254]


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site."""
    # Browsers drop tabs and newlines from a URL, so "/\t/evil.com" would
    # become "//evil.com": refuse any whitespace or control character.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch.isspace() or not ch.isprintable() for ch in target)
    ):
        return target
    return url_for("site.home")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["EMAIL_LIMIT_PER_ADDRESS"], methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            service.sign_up(form.email.data, form.display_name.data, form.password.data)
        except PasswordPolicyError as error:
            form.password.errors.append(str(error))
        except service.AccountError as error:
            form.display_name.errors.append(str(error))
        else:
            db.session.commit()
            # The same page whether the address was free or taken. The new
            # member is not logged in here: a page (or cookie) that differed
            # would tell anyone whether an address has an account. They log
            # in with their password, verified or not.
            return render_template("accounts/check_email.html", message=CHECK_EMAIL)
    return render_template("accounts/signup.html", form=form, password_help=NEW_PASSWORD_HELP)


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        user = service.verify_email(token)
    except service.InvalidToken as error:
        db.session.rollback()
        return render_template("accounts/link_invalid.html", message=str(error)), 400
    db.session.commit()
    flash(f"Thank you, {user.display_name}: your email address is confirmed.", "success")
    # Next stop for a newcomer: the walk-through (profile, people, requests).
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("network.start"))
    return redirect(url_for("accounts.login", next=url_for("network.start")))


@bp.post("/verify/resend")
@login_required
def resend_verification():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("site.home"))
    if current_user.is_verified:
        flash("Your email address is already confirmed.", "info")
    else:
        service.send_verification(current_user)
        db.session.commit()
        flash(f"We sent a new link to {current_user.email}.", "info")
    return redirect(request.referrer if request.referrer else url_for("site.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None and user.is_suspended:
            # The password was right: they may read why and ask for a review,
            # never sign in (community.moderation.views.standing).
            db.session.commit()
            session["suspended_member_id"] = user.id
            flash("Your account is suspended, so you cannot log in.", "error")
            return redirect(url_for("moderation.standing"))
        if user is not None:
            sessions.start_login_session(
                user, remember=form.remember.data, user_agent=request.user_agent.string
            )
            db.session.commit()
            flash(f"Welcome back, {user.display_name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
        g.login_failed = True
        db.session.rollback()
        form.password.errors.append("That email and password do not match an account.")
        form.password.data = ""
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and ConfirmForm().validate_on_submit():
        sessions.end_login_session(current_user)
        db.session.commit()
        logout_user()
        flash("You are logged out. See you soon!", "info")
    return redirect(url_for("site.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["EMAIL_LIMIT_PER_ADDRESS"], methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/check_email.html", message=CHECK_EMAIL)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        service.peek_token(token, service.RESET)
    except service.InvalidToken as error:
        return render_template("accounts/link_invalid.html", message=str(error)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(token, form.password.data)
        except PasswordPolicyError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash("Your password is changed. Log in with it now.", "success")
            return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/reset_password.html", form=form, password_help=NEW_PASSWORD_HELP
    )


# --- account settings ------------------------------------------------------


def _settings_page(**forms):
    forms.setdefault("password_form", ChangePasswordForm(prefix="password"))
    forms.setdefault("email_form", ChangeEmailForm(prefix="email"))
    forms.setdefault("everywhere_form", ConfirmForm(prefix="everywhere"))
    status = 400 if any(form.errors for form in forms.values()) else 200
    return render_template(
        "accounts/settings.html", password_help=NEW_PASSWORD_HELP, **forms
    ), status


@bp.get("/account")
@login_required
def settings():
    return _settings_page()


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm(prefix="password")
    if form.validate_on_submit():
        try:
            service.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except service.WrongPassword as error:
            form.current_password.errors.append(str(error))
        except PasswordPolicyError as error:
            form.new_password.errors.append(str(error))
        else:
            sessions.rotate_login_session(
                current_user._get_current_object(), user_agent=request.user_agent.string
            )
            db.session.commit()
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for("accounts.settings"))
    db.session.rollback()
    return _settings_page(password_form=form)


@bp.post("/account/email")
@login_required
def change_email():
    form = ChangeEmailForm(prefix="email")
    if form.validate_on_submit():
        try:
            service.request_email_change(current_user, form.password.data, form.new_email.data)
        except service.WrongPassword as error:
            form.password.errors.append(str(error))
        except service.AccountError as error:
            form.new_email.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"We sent a link to {form.new_email.data}. Your address changes when you "
                "follow it.",
                "info",
            )
            return redirect(url_for("accounts.settings"))
    db.session.rollback()
    return _settings_page(email_form=form)


@bp.get("/account/email/confirm/<token>")
def confirm_email_change(token: str):
    try:
        service.confirm_email_change(token)
    except service.AccountError as error:
        db.session.rollback()
        return render_template("accounts/link_invalid.html", message=str(error)), 400
    db.session.commit()
    flash("Your new email address is confirmed.", "success")
    destination = "accounts.settings" if current_user.is_authenticated else "accounts.login"
    return redirect(url_for(destination))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if ConfirmForm(prefix="everywhere").validate_on_submit():
        service.sign_out_everywhere(current_user)
        db.session.commit()
        logout_user()
        flash("You are logged out on every device, this one included.", "info")
        return redirect(url_for("accounts.login"))
    return redirect(url_for("accounts.settings"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            service.delete_account(current_user, form.password.data)
        except service.WrongPassword as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            logout_user()
            flash("Your account is deleted. Thank you for the help you gave.", "info")
            return redirect(url_for("site.home"))
    db.session.rollback()
    return render_template("accounts/delete.html", form=form), 400 if form.errors else 200
