"""Forms of the accounts area. Length and format are checked here; rules in service."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import Email, InputRequired, Length

from community.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from community.forms import KindredForm

EMAIL = [
    InputRequired("Enter your email address."),
    Email("Enter a valid email address."),
    Length(max=254),
]
NEW_PASSWORD_HELP = f"At least {MIN_LENGTH} characters; a phrase of several words works well."


def new_password_field(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired("Choose a password."),
            Length(
                min=MIN_LENGTH,
                max=MAX_LENGTH,
                message=f"Use between {MIN_LENGTH} and {MAX_LENGTH} characters.",
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def current_password_field(label: str = "Current password") -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired("Enter your current password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class SignupForm(KindredForm):
    display_name = StringField(
        "Your name",
        validators=[
            InputRequired("Tell us the name you would like to be known by."),
            Length(max=80),
        ],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField("Email", validators=EMAIL, render_kw={"autocomplete": "email"})
    password = new_password_field()


class LoginForm(KindredForm):
    email = EmailField("Email", validators=EMAIL, render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device for 30 days")


class ForgotPasswordForm(KindredForm):
    email = EmailField("Email", validators=EMAIL, render_kw={"autocomplete": "email"})


class ResetPasswordForm(KindredForm):
    password = new_password_field("New password")


class ChangePasswordForm(KindredForm):
    current_password = current_password_field()
    new_password = new_password_field("New password")


class ChangeEmailForm(KindredForm):
    new_email = EmailField("New email", validators=EMAIL, render_kw={"autocomplete": "email"})
    password = current_password_field()


class DeleteAccountForm(KindredForm):
    password = current_password_field()
    confirm = BooleanField(
        "I understand that my profile is deleted and cannot be brought back",
        validators=[InputRequired("Tick the box to confirm.")],
    )


class ConfirmForm(KindredForm):
    """A form with nothing but its CSRF token, for buttons that change state."""
