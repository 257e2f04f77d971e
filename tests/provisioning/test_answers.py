"""Answers files that must be refused: a clear message naming the key, and nothing written under the root."""

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import load_pem_x509_certificate

from provisioning.answers import AnswersError, read_answers
from provisioning.certificates import make_self_signed
from tests.provisioning.conftest import ANSWERS, GIVEN_PASSWORD, write_answers

SECOND_ADMIN = 'username = "secadmin"\nname = "李四"\nrole = "security_admin"'
TLS = '\n[tls]\ncertificate = "{certificate}"\nkey = "{key}"\n'


def answers_with(*replacements: tuple[str, str], extra: str = "") -> str:
    text = ANSWERS
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return text + extra


def write_pair(directory: Path, stem: str, hostname: str = "dangan-07") -> tuple[Path, Path]:
    pair = make_self_signed(hostname)
    directory.mkdir(parents=True, exist_ok=True)
    certificate, key = directory / f"{stem}.crt", directory / f"{stem}.key"
    certificate.write_bytes(pair.certificate)
    key.write_bytes(pair.key)
    return certificate, key


REFUSED = {
    "same user name twice": (answers_with(('username = "secadmin"', 'username = "sysadmin"')),
                             "the user name 'sysadmin' is given twice"),
    "same person twice": (answers_with(('name = "李四"', 'name = "张三"')), "the name '张三' is given twice"),
    "a role missing": (answers_with(('role = "security_admin"', 'role = "system_admin"')),
                       "no administrator has the role security_admin"),
    "two administrators": (answers_with((f"[[administrators]]\n{SECOND_ADMIN}", "")),
                           "give exactly three administrators"),
    "a business role": (answers_with(('role = "audit_admin"', 'role = "archivist"')),
                        "role 'archivist' is not an administrator's"),
    "unknown time zone": (answers_with(('"Asia/Shanghai"', '"Asia/Atlantis"')), "unknown time zone 'Asia/Atlantis'"),
    "a path as time zone": (answers_with(('"Asia/Shanghai"', '"../../etc/passwd"')), "unknown time zone"),
    "a dotted host name": (answers_with(('"dangan-07"', '"dangan_07.example"')), "hostname: host name"),
    "no host name": (answers_with(('hostname = "dangan-07"', "")), "hostname is missing"),
    "an unknown key": ('colour = "red"\n' + ANSWERS, "unknown key 'colour'"),
    "an unknown key in a table": (answers_with(extra='colour = "red"\n'), "unknown key ssh.colour"),
    "an unknown administrator key": (answers_with(('role = "audit_admin"', 'role = "audit_admin"\nemail = "x"')),
                                     "unknown key administrators[3].email"),
    "a bad ssh key": (answers_with(("AAAAC3NzaC1lZDI1NTE5AAAAIPCPhOEhXs7a", "AAAAB3NzaC1yc2EAAAADAQABAAAB")),
                      "ssh.authorized_keys[1]: the key of"),
    "a relative backup path outside": (answers_with(extra='\n[backup]\nrepository = "../repo"\n'),
                                       "backup.repository"),
    "a host key for a local repository": (
        answers_with(extra='\n[backup]\nrepository = "/srv/borg/box"\ntwin_host_key = '
                           '"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPCPhOEhXs7a/1HsmW2JbZfTVJFfsvnmSejmX0TwUwaZ"\n'),
        "backup.twin_host_key is only for a twin"),
    "not TOML": ('hostname = "dangan-07\n', "not valid TOML"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_bad_answers_file_is_refused_with_the_reason(tmp_path, name):
    text, reason = REFUSED[name]
    with pytest.raises(AnswersError) as refused:
        read_answers(write_answers(tmp_path, text))
    assert reason in str(refused.value)


def test_a_weak_password_is_refused_without_repeating_it(tmp_path):
    text = answers_with((GIVEN_PASSWORD, "secadmin1"))
    with pytest.raises(AnswersError) as refused:
        read_answers(write_answers(tmp_path, text))
    message = str(refused.value)
    assert message.startswith("administrators[1].password: password refused") and "secadmin1" not in message


@pytest.mark.parametrize("certificate", ["../console.crt", "tls/console.crt", "/etc/dangan/tls/console.crt", ".."])
def test_a_path_instead_of_a_file_name_is_refused(tmp_path, certificate):
    write_pair(tmp_path / "tls", "console")
    write_pair(tmp_path, "console")
    text = answers_with(extra=TLS.format(certificate=certificate, key="console.key"))
    with pytest.raises(AnswersError) as refused:
        read_answers(write_answers(tmp_path / "stick" if certificate.startswith("..") else tmp_path, text))
    assert f"tls.certificate {certificate!r} must be a file name beside the answers file, not a path" in str(
        refused.value)


def test_a_certificate_and_key_that_do_not_match_are_refused(tmp_path):
    write_pair(tmp_path, "one")
    write_pair(tmp_path, "two")
    text = answers_with(extra=TLS.format(certificate="one.crt", key="two.key"))
    with pytest.raises(AnswersError) as refused:
        read_answers(write_answers(tmp_path, text))
    assert str(refused.value) == "tls: one.crt and two.key do not match: the key is not the certificate's"


def test_a_certificate_that_is_not_pem_is_refused(tmp_path):
    certificate, _ = write_pair(tmp_path, "console")
    der = load_pem_x509_certificate(certificate.read_bytes()).public_bytes(serialization.Encoding.DER)
    certificate.write_bytes(der)
    text = answers_with(extra=TLS.format(certificate="console.crt", key="console.key"))
    with pytest.raises(AnswersError) as refused:
        read_answers(write_answers(tmp_path, text))
    assert "the certificate is not PEM" in str(refused.value)


def test_a_missing_certificate_file_is_named(tmp_path):
    text = answers_with(extra=TLS.format(certificate="console.crt", key="console.key"))
    with pytest.raises(AnswersError) as refused:
        read_answers(write_answers(tmp_path, text))
    assert "tls.certificate: console.crt is not a file beside the answers file" in str(refused.value)


def test_the_example_answers_file_of_the_image_is_valid():
    answers = read_answers(Path(__file__).parents[2] / "image" / "answers.example.toml")
    assert answers.hostname == "dangan-01" and [person.username for person in answers.administrators] == [
        "sysadmin", "secadmin", "auditadmin"]
    assert answers.console_names == ("dangan-01.archive.local", "192.0.2.10") and answers.tls is None


@pytest.mark.parametrize("name", ["same user name twice", "a role missing", "unknown time zone"])
def test_the_command_refuses_bad_answers_and_writes_nothing(dangan, tmp_path, name):
    text, reason = REFUSED[name]
    root = tmp_path / "root"
    root.mkdir()
    code, output, error = dangan("provision", "--answers", str(write_answers(tmp_path, text)), "--root", str(root))
    assert code == 1 and error.startswith("error: ") and reason in error
    assert list(root.iterdir()) == [] and "provisioning" not in output


def test_mismatched_tls_files_stop_the_command_before_anything_is_written(dangan, tmp_path):
    write_pair(tmp_path, "one")
    write_pair(tmp_path, "two")
    root = tmp_path / "root"
    root.mkdir()
    answers = write_answers(tmp_path, answers_with(extra=TLS.format(certificate="one.crt", key="two.key")))
    code, _, error = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 1 and "do not match" in error and list(root.iterdir()) == []
