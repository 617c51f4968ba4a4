"""Delivering a rendered email: over SMTP, or into files for the embedded default."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from community.db import utcnow
from community.mail.models import OutboxEmail

log = logging.getLogger(__name__)


class PermanentMailError(Exception):
    """The message can never be delivered as it is (bad address, 5xx)."""


class TransientMailError(Exception):
    """Delivery failed for now (connection refused, 4xx); try again later."""


def build_message(email: OutboxEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = email.message_id
    for name, value in (email.headers or {}).items():
        message[name] = value
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    return message


def deliver(message: EmailMessage, config: dict[str, Any]) -> None:
    """Send ``message`` with the configured transport.

    Raises PermanentMailError or TransientMailError; returns on success.
    """
    if not config.get("MAIL_SERVER"):
        _write_file(message, Path(config["MAIL_FILE_DIR"]))
        return
    _send_smtp(message, config)


def _write_file(message: EmailMessage, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    safe_id = "".join(ch for ch in message["Message-ID"] if ch.isalnum())[:40]
    path = directory / f"{stamp}-{safe_id}.eml"
    path.write_bytes(bytes(message))
    log.info("email to %s written to %s", message["To"], path)


def _send_smtp(message: EmailMessage, config: dict[str, Any]) -> None:
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    try:
        if config.get("MAIL_USE_SSL"):
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                client.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        # {address: (code, message)}. A 4xx here is usually greylisting: try again.
        text = f"recipient refused: {error.recipients}"
        if all(500 <= code < 600 for code, _ in error.recipients.values()):
            raise PermanentMailError(text) from error
        raise TransientMailError(text) from error
    except smtplib.SMTPResponseException as error:
        text = f"{error.smtp_code} {error.smtp_error!r}"
        if 500 <= error.smtp_code < 600:
            raise PermanentMailError(text) from error
        raise TransientMailError(text) from error
    except (OSError, smtplib.SMTPException) as error:
        raise TransientMailError(f"{type(error).__name__}: {error}") from error
