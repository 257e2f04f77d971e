"""Mail through an SMTP server (smtplib): one conversation per message, STARTTLS and login when configured."""

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from appliance.config import ConfigError, MailConfig
from appliance.domain.notifications import MailError

MAX_SUBJECT = 200


class SmtpMailer:
    """Hands messages to an SMTP server; `send` raises MailError for anything that stops a message."""

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = True, username: str = "",
                 password: str = "", timeout: float = 30, console_url: str = ""):
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self._password = password
        self.timeout = timeout
        self.console_url = console_url

    def send(self, recipient: str, subject: str, body: str) -> None:
        """Send one plain-text UTF-8 message; raises MailError (refused, unreachable, timed out, bad login)."""
        try:
            message = self._message(recipient, subject, body)
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as connection:
                if self.starttls:
                    connection.starttls(context=ssl.create_default_context())
                if self.username:
                    connection.login(self.username, self._password)
                connection.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError, UnicodeError) as error:
            raise MailError(f"mail to {recipient} via {self.host}:{self.port} failed: {_describe(error)}") from None

    def _message(self, recipient: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = Address(addr_spec=recipient)
        message["Subject"] = " ".join(subject.split())[:MAX_SUBJECT]  # one line: a header takes no line breaks
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a machine
        message.set_content(body, charset="utf-8")
        return message


def build_mailer(config: MailConfig) -> SmtpMailer | None:
    """The mailer of the `[mail]` settings, or None when no host is set; raises ConfigError when the password
    file cannot be read."""
    if not config.enabled:
        return None
    return SmtpMailer(config.host, config.port, config.sender, starttls=config.starttls, username=config.username,
                      password=_password(config.password_file) if config.username else "",
                      timeout=config.timeout, console_url=config.console_url)


def _password(path: Path | None) -> str:
    if path is None:
        raise ConfigError("mail.username is set: mail.password_file must name the file that holds the password")
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(f"mail.password_file {path} cannot be read: {error.strerror}") from None


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {reason.decode('utf-8', 'replace')}" for code, reason in error.recipients.values())
    return str(error) or type(error).__name__
