"""``flask`` commands: serve, create-admin, jobs, seed-demo."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from sqlalchemy import delete

from community import jobs
from community.accounts import service, sessions
from community.accounts.models import AccountToken, User
from community.accounts.passwords import check_password_policy, hash_password
from community.db import db, utcnow
from community.demo import seed_demo_community
from community.errors import Conflict
from community.extensions import socketio
from community.kindness.jobs import rebuild_ripples
from community.mail import outbox
from community.moderation.service import set_moderator
from community.profiles.models import Profile
from community.safety import record
from community.site.actions import attempt


def register_cli(app: Flask) -> None:
    app.cli.add_command(serve)
    app.cli.add_command(create_admin)
    app.cli.add_command(jobs_group)
    app.cli.add_command(seed_demo)
    app.cli.add_command(ripples_group)
    app.cli.add_command(moderator_command)


def run_command(body, *args, **kwargs):
    """The one place a CLI command commits: run ``body``, commit; on a
    KindredError roll back and stop with its message (on the option it names)."""
    result, error = attempt(body, *args, **kwargs)
    if error is None:
        return result
    if error.field:
        raise click.BadParameter(error.message, param_hint=error.field.replace("_", "-"))
    raise click.ClickException(error.message)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the site with Socket.IO (development and single-machine use)."""
    app = current_app._get_current_object()
    config = app.config
    mail = (
        f"SMTP {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
        if config["MAIL_SERVER"]
        else f"files in {config['MAIL_FILE_DIR']}"
    )
    click.echo(f" * {config['SITE_NAME']} at http://{host}:{port}")
    click.echo(f" * Emails go to {mail}")
    click.echo(f" * Database: {app.extensions['sqlalchemy'].engines[None].url!r}")
    click.echo(
        f" * Jobs: {'RQ on ' + config['REDIS_URL'] if config['REDIS_URL'] else 'in this process'}"
    )
    if config["IN_PROCESS_SCHEDULER"]:
        jobs.start_in_process_scheduler(app)
    else:
        outbox.start_sweep_watchdog(app)
    # Flask refuses app.run() inside a `flask` command unless told this is the
    # command that serves; Flask-SocketIO's threading server goes through it.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    socketio.run(app, host=host, port=port, debug=config["DEBUG"], allow_unsafe_werkzeug=True)


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt="Display name")
@click.password_option()
@click.option(
    "--promote-existing",
    is_flag=True,
    help="The address already has an account: make it an admin, set this password, "
    "mark the address verified and sign that account out everywhere.",
)
def create_admin(email: str, name: str, password: str, promote_existing: bool) -> None:
    """Create a verified admin account (or, told explicitly, promote an existing one).

    Anyone can sign up with any address before the operator runs this, so an
    existing account is never promoted silently: whoever registered it first
    could be an attacker. With ``--promote-existing`` the operator's password
    replaces theirs and every session of that account ends, so only the
    operator holds the admin account afterwards.
    """
    user = run_command(_make_admin, email, name, password, promote_existing)
    click.echo(f"{user.email} is an admin.")


def _make_admin(email: str, name: str, password: str, promote_existing: bool):
    check_password_policy(password)
    user = service.find_by_email(email)
    if user is None:
        user = User(
            email=service.normalize_email(email),
            display_name=service.clean_display_name(name),
            password_hash=hash_password(password),
            email_verified_at=utcnow(),
            profile=Profile(),
        )
        db.session.add(user)
    elif not promote_existing:
        raise Conflict(
            f"{user.email} already has an account, which someone else may have made. "
            "Nothing was changed. To make that account an admin with the password you "
            "typed (signing it out everywhere), run again with --promote-existing."
        )
    else:
        user.password_hash = hash_password(password)
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
        sessions.end_all_login_sessions(user)
        # A reset or email-change link the registrant asked for must not
        # take the account back.
        db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    if not user.is_admin:
        user.is_admin = True
        db.session.flush()  # a new account needs its id for the log
        record(None, "grant_admin", member=user, reason="flask create-admin")
    return user


@click.command("moderator")
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Take the role back instead.")
def moderator_command(email: str, revoke: bool) -> None:
    """Appoint a member as moderator (or take the role back); written to the audit log."""
    user = service.find_by_email(email)
    if user is None:
        raise click.BadParameter("no member has that email address", param_hint="email")
    changed = run_command(set_moderator, None, user, not revoke)
    state = "no longer a moderator" if revoke else "a moderator"
    click.echo(f"{user.email} is {state}{'' if changed else ' (unchanged)'}.")


@click.group("jobs")
def jobs_group() -> None:
    """Run a periodic job now (they also run on a timer or under rq cron)."""


def _make_job_command(job: jobs.PeriodicJob) -> click.Command:
    @click.command(job.name, help=job.description)
    def command() -> None:
        result = jobs.run_periodic(job.name)
        click.echo(f"{job.name}: {result}")

    return command


for _job in jobs.PERIODIC:
    jobs_group.add_command(_make_job_command(_job))


@click.command("seed-demo")
@click.option("--members", default=60, show_default=True, type=int)
@click.option("--seed", default=2011, show_default=True, type=int)
def seed_demo(members: int, seed: int) -> None:
    """Fill the database with a realistic demo community."""
    seed_demo_community(members=members, seed=seed)


@click.group("ripples")
def ripples_group() -> None:
    """The ripples of kindness (see community/kindness/jobs.py)."""


@ripples_group.command("rebuild")
def rebuild_ripples_command() -> None:
    """Recompute every member's ripples from all acts of help, with progress."""
    bars: dict[str, object] = {}

    def progress(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            bar = bars[phase] = click.progressbar(length=max(total, 1), label=f"{phase:>8}")
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    summary = rebuild_ripples(progress)
    for bar in bars.values():
        if not bar.finished:
            bar.__exit__(None, None, None)
    click.echo(f"Ripples rebuilt: {summary}.")
