"""A real SMTP server for tests (aiosmtpd), and a port nobody listens on.

``SmtpServer`` runs aiosmtpd's ``Controller`` on 127.0.0.1 and a free port.
Its handler keeps every message it accepts; ``data_reply`` or ``rcpt_reply``
make it answer DATA or RCPT TO with a given status line instead (for example
``"451 4.3.0 Try later"`` or ``"550 5.1.1 No such user"``).
"""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (and nobody listens on)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Delivery:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class CollectingHandler:
    """An aiosmtpd handler that stores what it accepts, or refuses as told."""

    data_reply: str | None = None
    rcpt_reply: str | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    refused: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            self.refused += 1
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            self.refused += 1
            return self.data_reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.deliveries.append(
            Delivery(envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """A started aiosmtpd server; ``stop()`` it when done."""

    def __init__(self, handler: CollectingHandler | None = None):
        self.handler = handler or CollectingHandler()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def deliveries(self) -> list[Delivery]:
        return self.handler.deliveries

    def config(self) -> dict:
        """Settings that point the app at this server (plain SMTP, no login)."""
        return smtp_config(self.host, self.port)


def smtp_config(host: str, port: int) -> dict:
    return {
        "MAIL_SERVER": host,
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_TIMEOUT": 5,
    }


# --- outbox helpers shared by the mail, notifications, jobs and admin tests ----


def outbox_rows() -> list:
    """Every outbox row as the database has it now (a fresh read)."""
    from sqlalchemy import select

    from community.db import db
    from community.mail.models import OutboxEmail

    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def add_outbox_row(user=None, **values):
    """Commit an outbox row directly, with no send job (as if Redis had been down)."""
    import secrets

    from community.db import db
    from community.mail.models import OutboxEmail

    row = OutboxEmail(
        user_id=user.id if user is not None else None,
        template="notification",
        to_address=user.email if user is not None else "someone@example.com",
        subject="A test email",
        body_text="Hello in text",
        body_html="<p>Hello in HTML</p>",
        headers={},
        message_id=f"<{secrets.token_hex(8)}@kindred.test>",
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def run_worker(app) -> bool:
    """Run a real RQ worker in burst mode on the app's queue and Redis connection.

    SimpleWorker runs each job in this process, so ``app`` is the current app
    inside the job, exactly as a test expects.
    """
    from rq import Queue, SimpleWorker

    connection = app.extensions["kindred_redis"]
    queue = Queue(app.config["RQ_QUEUE"], connection=connection)
    worker = SimpleWorker([queue], connection=connection)
    return worker.work(burst=True)
