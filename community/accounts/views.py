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
from community.extensions import limiter
from community.network_address import client_address
from community.site.actions import error_on_field, run
from community.waiting.service import waiting_count

bp = Blueprint("accounts", __name__)

CHECK_EMAIL = (
    "Thank you! If the address can be used, an email is on its way to it. "
    "Follow the link inside to continue."
)


def _show_error(form, error) -> None:
    """A refused form: the error on the field it names, else above the form."""
    if not error_on_field(form, error):
        form.form_errors.append(str(error))


def _link_invalid(error):
    """An emailed link that cannot be used (unknown, used, expired, taken)."""
    return render_template("accounts/link_invalid.html", message=str(error)), 400


# --- limits -----------------------------------------------------------------
#
# Limits are kept in Flask-Limiter's storage (Redis when configured), so every
# web process counts the same attempts. The key functions read the address
# from the posted form; a missing field counts under the empty address.

EMAIL_LIMITED = (
    "We have sent several emails for this lately. Please wait an hour before asking "
    "for another; check your spam folder in the meantime."
)


def _typed_address(field: str = "email") -> str:
    return service.normalize_email(request.form.get(field, ""))[:254]


def _login_account_key() -> str:
    return "login-account:" + _typed_address()


def _login_pair_key() -> str:
    return f"login-pair:{client_address()}:{_typed_address()}"


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))


def _to_typed_address() -> str:
    """Emails to the address typed in the form (sign-up, forgotten password)."""
    return "email-to:" + _typed_address()


def _to_new_address() -> str:
    """Emails to the new address typed on the settings page."""
    return "email-to:" + _typed_address("email-new_email")


def _to_member() -> str:
    """Emails to (or for) the logged-in member's account."""
    return f"email-account:{current_user.get_id()}"


def _anonymous() -> bool:
    return not current_user.is_authenticated


def email_limited(*account_keys):
    """Limit a route that sends an email: per IP address across every such route,
    and per account or destination address (``account_keys``) across every such
    route too, so that alternating routes does not double the allowance. Over
    either limit: 429 with EMAIL_LIMITED, before the view runs (no outbox row)."""

    def decorate(view):
        for key_func in account_keys:
            view = limiter.shared_limit(
                lambda: current_app.config["EMAIL_LIMIT_PER_ACCOUNT"],
                scope="email-account",
                key_func=key_func,
                methods=["POST"],
                error_message=EMAIL_LIMITED,
                # The limits run before login_required: a visitor who is not
                # logged in is sent to log in, and counted per address only.
                exempt_when=_anonymous if key_func is _to_member else None,
            )(view)
        return limiter.shared_limit(
            lambda: current_app.config["EMAIL_LIMIT_PER_ADDRESS"],
            scope="email-ip",
            methods=["POST"],
            error_message=EMAIL_LIMITED,
        )(view)

    return decorate


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
@email_limited(_to_typed_address)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = SignupForm()
    if form.validate_on_submit():
        _, error = run(service.sign_up, form.email.data, form.display_name.data, form.password.data)
        if error:
            _show_error(form, error)
        else:
            # The same page whether the address was free or taken. The new
            # member is not logged in here: a page (or cookie) that differed
            # would tell anyone whether an address has an account. They log
            # in with their password, verified or not.
            return render_template("accounts/check_email.html", message=CHECK_EMAIL)
    return render_template("accounts/signup.html", form=form, password_help=NEW_PASSWORD_HELP)


@bp.get("/verify/<token>")
def verify_email(token: str):
    user, error = run(service.verify_email, token)
    if error:
        return _link_invalid(error)
    flash(f"Thank you, {user.display_name}: your email address is confirmed.", "success")
    # Next stop for a newcomer: the walk-through (profile, people, requests).
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("network.start"))
    return redirect(url_for("accounts.login", next=url_for("network.start")))


@bp.post("/verify/resend")
@login_required
@email_limited(_to_member)
def resend_verification():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("site.home"))
    if current_user.is_verified:
        flash("Your email address is already confirmed.", "info")
    else:
        run(service.send_verification, current_user)
        flash(f"We sent a new link to {current_user.email}.", "info")
    return redirect(request.referrer if request.referrer else url_for("site.home"))


@bp.route("/login", methods=["GET", "POST"])
# Three limits (README, Security): attempts per IP address across accounts;
# failed attempts per account and IP address, which slows a guesser without
# touching the owner elsewhere; and a far higher ceiling of failed attempts per
# account from everywhere, against guessing spread over many addresses.
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"],
    key_func=_login_pair_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
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
        user, _ = run(
            service.log_in,
            form.email.data,
            form.password.data,
            remember=form.remember.data,
            user_agent=request.user_agent.string,
        )
        if user is not None and user.is_suspended:
            # The password was right: they may read why and ask for a review,
            # never sign in (community.moderation.views.standing).
            session["suspended_member_id"] = user.id
            flash("Your account is suspended, so you cannot log in.", "error")
            return redirect(url_for("moderation.standing"))
        if user is not None:
            flash(f"Welcome back, {user.display_name}.", "success")
            wanted = request.args.get("next")
            if not wanted and waiting_count(user.id):
                # What others wait on comes first for a returning member.
                return redirect(url_for("waiting.index"))
            return redirect(_safe_next(wanted))
        g.login_failed = True
        form.password.errors.append("That email and password do not match an account.")
        form.password.data = ""
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and ConfirmForm().validate_on_submit():
        run(sessions.end_login_session, current_user)
        logout_user()
        flash("You are logged out. See you soon!", "info")
    return redirect(url_for("site.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@email_limited(_to_typed_address)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        run(service.request_password_reset, form.email.data)
        return render_template("accounts/check_email.html", message=CHECK_EMAIL)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    _, error = run(service.peek_token, token, service.RESET)
    if error:
        return _link_invalid(error)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        _, error = run(service.reset_password, token, form.password.data)
        if error and not error_on_field(form, error):
            return _link_invalid(error)  # the link was used meanwhile
        if error is None:
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
        _, error = run(
            _change_password,
            current_user._get_current_object(),
            form.current_password.data,
            form.new_password.data,
        )
        if error is None:
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for("accounts.settings"))
        _show_error(form, error)
    return _settings_page(password_form=form)


def _change_password(user, current_password: str, new_password: str) -> None:
    """The password changes, and this device's login session is a new one (the
    old session's secret may have been seen with the old password)."""
    service.change_password(user, current_password, new_password)
    sessions.rotate_login_session(user, user_agent=request.user_agent.string)


@bp.post("/account/email")
@login_required
@email_limited(_to_member, _to_new_address)
def change_email():
    form = ChangeEmailForm(prefix="email")
    if form.validate_on_submit():
        _, error = run(
            service.request_email_change, current_user, form.password.data, form.new_email.data
        )
        if error:
            _show_error(form, error)
        else:
            flash(
                f"We sent a link to {form.new_email.data}. Your address changes when you "
                "follow it.",
                "info",
            )
            return redirect(url_for("accounts.settings"))
    return _settings_page(email_form=form)


@bp.get("/account/email/confirm/<token>")
def confirm_email_change(token: str):
    _, error = run(service.confirm_email_change, token)
    if error:
        return _link_invalid(error)
    flash("Your new email address is confirmed.", "success")
    destination = "accounts.settings" if current_user.is_authenticated else "accounts.login"
    return redirect(url_for(destination))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if ConfirmForm(prefix="everywhere").validate_on_submit():
        run(service.sign_out_everywhere, current_user)
        logout_user()
        flash("You are logged out on every device, this one included.", "info")
        return redirect(url_for("accounts.login"))
    return redirect(url_for("accounts.settings"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        _, error = run(service.delete_account, current_user, form.password.data)
        if error:
            _show_error(form, error)
        else:
            logout_user()
            flash("Your account is deleted. Thank you for the help you gave.", "info")
            return redirect(url_for("site.home"))
    return render_template("accounts/delete.html", form=form), 400 if form.errors else 200
