"""Mail against a real SMTP server started here (aiosmtpd): delivery, UTF-8, refusals, retries, no server at all."""

import datetime
import email
import email.policy
import logging

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from appliance.adapters.db.tables import NotificationRow
from appliance.adapters.mailer import SmtpMailer, build_mailer
from appliance.config import ConfigError, MailConfig
from appliance.domain.notifications import MAX_MAIL_ATTEMPTS, RETRY_AFTER, MailError
from appliance.services.accounts import set_mail_address
from appliance.services.notifications import deliver_mail, notify
from tests.integration.services.test_notifications import mail_enabled
from tests.support.console import FAST_PASSWORDS, SECURITY_OFFICER, make_person
from tests.support.network import free_port

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
CODE = "Z109-WS·2011-Y-BGS-0001"


class Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content,
                                                                          policy=email.policy.default)))
        return "250 OK"


class Refuser:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 mailbox unavailable"


@pytest.fixture
def smtp_server():
    started = []

    def start(handler, **options):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        started.append(controller)
        return controller.port

    yield start
    for controller in started:
        controller.stop()


def mailer_at(port: int, **options) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", port, "dangan@example.cn", starttls=False, timeout=5,
                      console_url="https://dangan.example.cn/", **options)


def test_a_message_arrives_with_its_chinese_subject(smtp_server):
    collector = Collector()
    port = smtp_server(collector)
    mailer_at(port).send("zhao@example.cn", "[档案] 归档申请第 7 号等待您审批", "正文\n\nEnglish below")
    ((recipients, message),) = collector.messages
    assert recipients == ["zhao@example.cn"] and message["To"] == "zhao@example.cn"
    assert message["Subject"] == "[档案] 归档申请第 7 号等待您审批"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().splitlines() == ["正文", "", "English below"]


def test_login_when_a_user_name_is_set(smtp_server, tmp_path):
    collector, logins = Collector(), []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    port = smtp_server(collector, authenticator=authenticate, auth_require_tls=False)
    password_file = tmp_path / "smtp-password"
    password_file.write_text("s3cret\n")
    config = MailConfig(host="127.0.0.1", port=port, sender="dangan@example.cn", starttls=False,
                        username="dangan", password_file=password_file, timeout=5)
    build_mailer(config).send("zhao@example.cn", "测试", "正文")
    assert logins == [(b"dangan", b"s3cret")] and len(collector.messages) == 1


def test_refusals_and_missing_servers_become_mail_errors(smtp_server, tmp_path):
    with pytest.raises(MailError, match="550"):
        mailer_at(smtp_server(Refuser())).send("zhao@example.cn", "测试", "正文")
    with pytest.raises(MailError, match="STARTTLS|starttls"):
        SmtpMailer("127.0.0.1", smtp_server(Collector()), "dangan@example.cn", timeout=5).send("a@b.cn", "s", "b")
    with pytest.raises(MailError):
        mailer_at(free_port()).send("zhao@example.cn", "测试", "正文")  # nobody listens
    assert build_mailer(MailConfig()) is None
    with pytest.raises(ConfigError, match="mail.password_file"):
        build_mailer(MailConfig(host="smtp.example.cn", sender="d@example.cn", username="d",
                                password_file=tmp_path / "absent"))
    with pytest.raises(ConfigError, match="mail.sender"):
        MailConfig(host="smtp.example.cn")


@pytest.fixture
def pending(appliance):
    """One notification for zhao (who has an address) queued for mail; its id."""
    appliance.passwords = FAST_PASSWORDS
    make_person(appliance, "zhao", ["approver"], ready=False)
    set_mail_address(appliance.uow_factory, SECURITY_OFFICER, "zhao", "zhao@example.cn")
    with mail_enabled(appliance)() as uow:
        notify(uow, ["zhao"], "request.waiting", NOW,
               {"request": 7, "kind": "archiving", "item": CODE, "title": "关于开展档案工作检查的通知", "count": 1},
               "/approvals")
        uow.commit()
    with appliance.uow_factory(read_only=True) as uow:
        return uow.session.query(NotificationRow.id).scalar()


def mail_state(appliance, notification_id: int) -> tuple[str, int, str | None]:
    with appliance.uow_factory(read_only=True) as uow:
        row = uow.session.get(NotificationRow, notification_id)
        return row.mail_state, row.mail_attempts, row.mail_error


def test_pending_mail_is_delivered_once(appliance, pending, smtp_server):
    collector = Collector()
    mailer = mailer_at(smtp_server(collector))
    assert deliver_mail(appliance.uow_factory, mailer, NOW) == 1
    ((recipients, message),) = collector.messages
    assert recipients == ["zhao@example.cn"]
    assert message["Subject"] == f"[档案] 归档申请第 7 号等待您审批：{CODE} 关于开展档案工作检查的通知"
    body = message.get_content()
    assert "Archiving request 7 waits for your decision" in body and "https://dangan.example.cn/approvals" in body
    assert mail_state(appliance, pending)[0] == "sent"
    assert deliver_mail(appliance.uow_factory, mailer, NOW + datetime.timedelta(days=1)) == 0
    assert len(collector.messages) == 1


def test_a_refusing_server_is_retried_with_backoff_then_given_up(appliance, pending, smtp_server, caplog):
    mailer = mailer_at(smtp_server(Refuser()))
    for attempt, delay in enumerate(RETRY_AFTER, start=1):
        assert deliver_mail(appliance.uow_factory, mailer, NOW + delay) == 0
        state, attempts, error = mail_state(appliance, pending)
        assert attempts == attempt and "550" in error
        assert state == ("failed" if attempt == MAX_MAIL_ATTEMPTS else "pending")
        if attempt < MAX_MAIL_ATTEMPTS:  # not tried again before its time
            assert deliver_mail(appliance.uow_factory, mailer, NOW + delay) == 0
            assert mail_state(appliance, pending)[1] == attempt
    assert "given up after 5 attempts" in caplog.text and caplog.records[-1].levelno == logging.WARNING
    assert deliver_mail(appliance.uow_factory, mailer, NOW + datetime.timedelta(days=30)) == 0


def test_no_server_listening_is_retried_later_without_a_crash(appliance, pending, smtp_server):
    assert deliver_mail(appliance.uow_factory, mailer_at(free_port()), NOW) == 0
    state, attempts, error = mail_state(appliance, pending)
    assert (state, attempts) == ("pending", 1) and "127.0.0.1" in error
    collector = Collector()
    later = NOW + RETRY_AFTER[1]
    assert deliver_mail(appliance.uow_factory, mailer_at(smtp_server(collector)), later) == 1
    assert len(collector.messages) == 1 and mail_state(appliance, pending)[:2] == ("sent", 2)
