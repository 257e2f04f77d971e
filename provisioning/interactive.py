"""Asking the person at the console for the answers, one question at a time; a refused answer is asked again with
the reason. Interactive administrators always get generated one-time passwords, shown once at the end."""

import socket
from collections.abc import Callable
from pathlib import Path

import click

from appliance.domain.accounts import Role
from appliance.domain.errors import InvalidInputError
from provisioning import questions
from provisioning.answers import Administrator, Answers, Backup
from provisioning.certificates import TlsPair, load_pair

ROLE_ORDER = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


def ask_answers() -> Answers:
    """Ask every question; raises click.Abort when the person declines at the end."""
    hostname = ask("Host name of this box", questions.check_hostname, default=_suggested_hostname())
    answers = Answers(
        hostname=hostname,
        timezone=ask("Time zone", questions.check_timezone, default="Asia/Shanghai"),
        console_names=ask("Other names or IP addresses of the console, comma separated (empty: none)",
                          _check_names, default=""),
        administrators=_ask_administrators(),
        tls=_ask_tls(),
        backup=_ask_backup(),
        authorized_keys=ask("IT's ssh public key for root logins (empty: none)", _check_optional_key, default=""),
    )
    if not click.confirm(f"Provision {hostname} now?", default=True):
        raise click.Abort()
    return answers


def ask(text: str, check: Callable, default=None):
    """click.prompt whose answer goes through `check`; a refusal is shown and the question asked again."""
    def convert(value):
        try:
            return check(value)
        except InvalidInputError as error:
            raise click.UsageError(str(error)) from None

    return click.prompt(text, default=default, value_proc=convert, show_default=bool(default))


def _ask_administrators() -> tuple[Administrator, ...]:
    click.echo("The three administrators (三员分立): three different people, one role each.")
    people: list[Administrator] = []
    for role in ROLE_ORDER:
        taken_usernames = {person.username for person in people}
        taken_names = {person.name for person in people}
        username = ask(f"{role.label('en')} ({role.label('zh')}): user name",
                       _unique(questions.check_admin_username, taken_usernames, "user name"))
        name = ask(f"{role.label('en')}: the person's name", _unique(questions.check_person_name, taken_names, "name"))
        people.append(Administrator(username, name, role))
    return tuple(people)


def _unique(check: Callable, taken: set[str], label: str) -> Callable:
    def checked(value):
        clean = check(value)
        if clean in taken:
            raise InvalidInputError(f"the {label} {clean!r} is another administrator's: three different people "
                                    "are needed")
        return clean

    return checked


def _ask_tls() -> TlsPair | None:
    choice = click.prompt("TLS certificate: make a self-signed one, or import a certificate and key",
                          type=click.Choice(["self-signed", "import"]), default="self-signed")
    if choice == "self-signed":
        return None
    while True:
        certificate = ask("Certificate file (PEM)", _existing_file)
        key = ask("Key file (PEM, unencrypted)", _existing_file)
        try:
            return load_pair((certificate, key))
        except InvalidInputError as error:
            click.echo(f"Error: {error}", err=True)


def _ask_backup() -> Backup | None:
    repository = ask("Backup repository: ssh://user@host:port/path on the twin, or a local path (empty: none)",
                     lambda value: questions.check_repository(value) if value.strip() else "", default="")
    if not repository:
        return None
    host_key = ""
    if repository.startswith("ssh://"):
        host_key = ask("The twin's ssh host key line (empty: read it from the twin now)", _check_optional_key,
                       default="")
        host_key = host_key[0] if host_key else ""
    return Backup(repository, host_key)


def _check_names(value: str) -> tuple[str, ...]:
    return tuple(questions.check_console_name(name) for name in value.split(",") if name.strip())


def _check_optional_key(value: str) -> tuple[str, ...]:
    return (questions.check_public_key(value),) if value.strip() else ()


def _existing_file(value: str) -> Path:
    path = Path(value.strip()).expanduser()
    if not path.is_file():
        raise InvalidInputError(f"{value} is not a file")
    return path


def _suggested_hostname() -> str:
    name = socket.gethostname().split(".")[0].lower()
    try:
        return questions.check_hostname(name)
    except InvalidInputError:
        return "dangan"
