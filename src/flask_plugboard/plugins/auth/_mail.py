"""Sending e-mail (the password-reset link): a small sender interface, SMTP by default.

AUTH_MAIL_URL says how, checked at start-up:

- ``smtp://[user:password@]host[:port]`` (port 25): STARTTLS, with the certificate
  checked, whenever the server offers it; ``?starttls=require`` refuses to send through
  a server that does not offer it, ``?starttls=off`` never starts TLS (a relay on this
  machine with a self-signed certificate).
- ``smtps://[user:password@]host[:port]`` (port 465): TLS from the first byte.
- ``log://``: nothing is sent; the message is written to the log (development).

Write ``@``, ``:`` or ``/`` in the user or password percent-encoded (``%40``...). The
password never appears in messages or reprs: :func:`redact_mail_url` hides it.

Mail is sent by the mail thread (see _outbox), never during the request. An app that
wants an HTTP mail API or a test inbox gives auth its own :class:`MailSender` with
:func:`set_mail_sender`.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from flask import Flask, current_app

from ._errors import AuthError
from ._state import get_auth_state

__all__ = [
    "LogSender",
    "MailError",
    "MailSender",
    "MailURL",
    "SMTPSender",
    "get_mail_sender",
    "parse_mail_url",
    "redact_mail_url",
    "send_mail",
    "set_mail_sender",
]

logger = logging.getLogger("flask_plugboard.plugins.auth")

MAIL_KEY = "auth.mail_sender"
#: Seconds to wait for the mail server before the reset page gives up (and logs why).
SMTP_TIMEOUT = 10.0

ALLOWED = (
    "smtp://[user:password@]host[:port][?starttls=require|off], "
    "smtps://[user:password@]host[:port] or log://"
)
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailError(AuthError):
    """An e-mail could not be sent; the message names the server, never the password."""


class MailSender(Protocol):
    """Sends one e-mail; raises :class:`MailError` (or ``OSError``) when it cannot."""

    def send(self, message: EmailMessage) -> None: ...


@dataclasses.dataclass(frozen=True)
class MailURL:
    """AUTH_MAIL_URL, parsed."""

    scheme: Literal["smtp", "smtps", "log"]
    host: str = ""
    port: int = 0
    username: str | None = dataclasses.field(default=None, repr=False)
    password: str | None = dataclasses.field(default=None, repr=False)
    starttls: Literal["auto", "require", "off"] = "auto"

    def __str__(self) -> str:
        if self.scheme == "log":
            return "log://"
        user = "***@" if self.username or self.password else ""
        query = "" if self.starttls == "auto" else f"?starttls={self.starttls}"
        return f"{self.scheme}://{user}{self.host}:{self.port}{query}"


def redact_mail_url(url: str) -> str:
    """``url`` with its user and password replaced by ``***`` (for messages)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url if "@" not in url else "***@" + url.rpartition("@")[2]
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}://{authority}{slash}{tail}"


def parse_mail_url(url: str) -> MailURL:
    """Parse AUTH_MAIL_URL; raise ``ValueError`` naming the key, the value and the forms."""

    def invalid(reason: str) -> ValueError:
        return ValueError(f"AUTH_MAIL_URL = {redact_mail_url(url)!r} {reason}: expected {ALLOWED}")

    if not isinstance(url, str) or not url.strip():
        raise invalid("is empty")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "log":
        if parts.netloc or parts.path.strip("/") or parts.query:
            raise invalid("has more than log://")
        return MailURL("log")
    if scheme not in _DEFAULT_PORTS:
        raise invalid(f"has the scheme {scheme or '(none)'!r}")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise invalid("has a port that is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise invalid("names no host")
    if parts.path.strip("/") or parts.fragment:
        raise invalid("has a path: nothing may follow host:port but ?starttls=")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    starttls = query.pop("starttls", "auto")
    if query:
        raise invalid(f"has the unknown option(s) {', '.join(sorted(query))}")
    if starttls not in ("auto", "require", "off") or (scheme == "smtps" and starttls != "auto"):
        raise invalid(f"has starttls={starttls!r} (smtp:// takes require or off)")
    return MailURL(
        scheme="smtps" if scheme == "smtps" else "smtp",
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=starttls,  # type: ignore[arg-type]  # checked just above
    )


class SMTPSender:
    """Sends through an SMTP server (``smtp://`` or ``smtps://``)."""

    def __init__(self, url: MailURL, timeout: float = SMTP_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<SMTPSender {self.url}>"

    def send(self, message: EmailMessage) -> None:
        url = self.url
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if url.scheme == "smtps":
                client = smtplib.SMTP_SSL(url.host, url.port, timeout=self.timeout, context=context)
            else:
                client = smtplib.SMTP(url.host, url.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if url.scheme == "smtp" and url.starttls != "off":
                    if client.has_extn("starttls"):
                        client.starttls(context=context)
                        client.ehlo()
                    elif url.starttls == "require":
                        raise MailError(
                            f"the mail server {url} does not offer STARTTLS and "
                            "AUTH_MAIL_URL has ?starttls=require: nothing was sent; turn "
                            "TLS on at the server, or use smtps://"
                        )
                if url.username or url.password:
                    client.login(url.username or "", url.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"could not send mail through {url} ({type(exc).__name__}: {exc}): check "
                "that the server runs and AUTH_MAIL_URL is right"
            ) from exc


class LogSender:
    """Writes each message to the log instead of sending it (``log://``, development)."""

    def __repr__(self) -> str:
        return "<LogSender>"

    def send(self, message: EmailMessage) -> None:
        logger.warning(
            "e-mail not sent (AUTH_MAIL_URL = log://), to %s:\n%s",
            message["To"],
            message.as_string(),
        )


def sender_for(url: MailURL) -> MailSender:
    """The sender AUTH_MAIL_URL describes."""
    return LogSender() if url.scheme == "log" else SMTPSender(url)


def set_mail_sender(app: Flask, sender: MailSender) -> None:
    """Send auth's e-mail for ``app`` through ``sender`` instead of AUTH_MAIL_URL's."""
    if not callable(getattr(sender, "send", None)):
        raise AuthError(
            f"{sender!r} is not a mail sender: give an object with a send(message) method "
            "(see flask_plugboard.plugins.auth.MailSender)"
        )
    app.extensions[MAIL_KEY] = sender


def get_mail_sender(app: Flask | None = None) -> MailSender:
    """The sender of ``app`` (default: current): set_mail_sender's, else AUTH_MAIL_URL's."""
    target = current_app if app is None else app
    sender: MailSender | None = target.extensions.get(MAIL_KEY)
    if sender is None:
        url = parse_mail_url(get_auth_state(target).settings.mail_url)
        sender = target.extensions[MAIL_KEY] = sender_for(url)
    return sender


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail from AUTH_MAIL_SENDER; raises :class:`MailError`."""
    sender_address = get_auth_state().settings.mail_sender
    message = EmailMessage()
    message["From"] = sender_address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    # The sender's domain, not socket.getfqdn(): that can wait seconds on DNS.
    domain = sender_address.rpartition("@")[2].strip("> ") or "localhost"
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    message.set_content(body)
    try:
        get_mail_sender().send(message)
    except OSError as exc:  # a custom sender that lets a socket error through
        raise MailError(f"could not send mail ({type(exc).__name__}: {exc})") from exc
