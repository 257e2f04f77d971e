"""`dangan provision` with no answers file asks at the console; a refused answer is asked again with the reason."""

import re

import pytest
from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.domain.accounts import Role
from appliance.services.accounts import list_users
from tests.provisioning.conftest import open_box
from tests.provisioning.test_answers import write_pair

PRINTED_PASSWORD = re.compile(r"^  (\S+) +(\S+)$", re.MULTILINE)
TYPED = [
    "bad_name!", "dangan-08",  # host name: refused, then accepted
    "Mars/Base", "",  # time zone: refused, then the default (Asia/Shanghai)
    "192.0.2.44, archive.example.cn",  # more console names
    "sysadmin", "张三",
    "sysadmin", "secadmin", "张三", "李四",  # the second administrator repeats the first: asked again
    "auditadmin", "王五",
    "",  # TLS: the default, self-signed
    "",  # no backup
    "",  # no ssh key
]


def ask(root, typed: list[str]):
    return CliRunner().invoke(cli, ["provision", "--root", str(root)], input="\n".join(typed) + "\n")


@pytest.mark.slow  # provisions a box
def test_the_questions_are_asked_again_until_answered_and_the_box_is_provisioned(tmp_path):
    result = ask(tmp_path, [*TYPED, "y"])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "Error: host name 'bad_name!' must be 1-63 characters" in output
    assert "Error: unknown time zone 'Mars/Base'" in output
    assert "Error: the user name 'sysadmin' is another administrator's" in output
    assert "Error: the name '张三' is another administrator's" in output
    assert (tmp_path / "etc/hostname").read_text() == "dangan-08\n"
    assert (tmp_path / "etc/timezone").read_text() == "Asia/Shanghai\n"
    printed = dict(PRINTED_PASSWORD.findall(output))
    assert sorted(printed) == ["auditadmin", "secadmin", "sysadmin"]
    assert all(output.count(password) == 1 for password in printed.values())
    appliance = open_box(tmp_path)
    try:
        accounts = {account.username: (account.display_name, account.roles, account.must_change_password)
                    for account in list_users(appliance.uow_factory)}
    finally:
        appliance.close()
    assert accounts == {"sysadmin": ("张三", {Role.SYSTEM_ADMIN}, True),
                        "secadmin": ("李四", {Role.SECURITY_ADMIN}, True),
                        "auditadmin": ("王五", {Role.AUDIT_ADMIN}, True)}
    assert "192.0.2.44" in output and "archive.example.cn" in output


def test_declining_at_the_end_changes_nothing(tmp_path):
    result = ask(tmp_path, [*TYPED, "n"])
    assert result.exit_code == 1 and "Provision dangan-08 now?" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unmatched_certificate_is_asked_for_again(tmp_path):
    one, _ = write_pair(tmp_path / "files", "one")
    _, two_key = write_pair(tmp_path / "files", "two")
    root = tmp_path / "root"
    root.mkdir()
    typed = [*TYPED[:13], "import", str(one), str(two_key), str(one), str(tmp_path / "files/one.key"), "", "", "n"]
    result = ask(root, typed)
    assert "Error: one.crt and two.key do not match" in result.output
    assert "Provision dangan-08 now?" in result.output and list(root.iterdir()) == []


def test_first_boot_without_an_answers_file_asks_at_the_console(tmp_path):
    result = CliRunner().invoke(cli, ["provision", "--first-boot", "--root", str(tmp_path)],
                                input="\n".join([*TYPED, "n"]) + "\n")
    assert "no answers file found: answer these questions" in result.output
    assert "Provision dangan-08 now?" in result.output and result.exit_code == 1
