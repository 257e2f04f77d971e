"""The operating-system steps on a temp root: each keeps what is there and changes only its own lines."""

import stat

from provisioning.first_boot import labelled_device
from provisioning.layout import Layout
from provisioning.system import (
    add_authorized_keys,
    check_machine_id,
    give_home_to_service_user,
    set_hostname,
    set_timezone,
)

IT_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPCPhOEhXs7a/1HsmW2JbZfTVJFfsvnmSejmX0TwUwaZ it@example"


def test_the_host_name_replaces_the_image_s_and_keeps_the_other_hosts_lines(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n10.0.0.5\tprinter\n")
    (tmp_path / "etc/hostname").write_text("debian\n")
    assert set_hostname(Layout(tmp_path), "dangan-09") == "set to dangan-09 (/etc/hostname, /etc/hosts)"
    assert (tmp_path / "etc/hosts").read_text() == "127.0.0.1\tlocalhost\n10.0.0.5\tprinter\n127.0.1.1\tdangan-09\n"
    assert set_hostname(Layout(tmp_path), "dangan-09") == "already dangan-09"


def test_a_new_time_zone_relinks_localtime(tmp_path):
    layout = Layout(tmp_path)
    assert set_timezone(layout, "Asia/Shanghai").startswith("set to Asia/Shanghai")
    assert set_timezone(layout, "Asia/Urumqi") == "set to Asia/Urumqi (/etc/localtime, /etc/timezone)"
    assert str((tmp_path / "etc/localtime").readlink()) == "/usr/share/zoneinfo/Asia/Urumqi"
    assert set_timezone(layout, "Asia/Urumqi") == "already Asia/Urumqi"


def test_authorized_keys_are_added_to_what_is_there_once(tmp_path):
    existing = tmp_path / "root/.ssh/authorized_keys"
    existing.parent.mkdir(parents=True)
    existing.write_text("ssh-rsa AAAAB3Nza old@example")  # no newline at the end
    existing.chmod(0o644)
    layout = Layout(tmp_path)
    assert add_authorized_keys(layout, (IT_KEY,)) == "1 added, 0 already there"
    assert existing.read_text() == f"ssh-rsa AAAAB3Nza old@example\n{IT_KEY}\n"
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    renamed = IT_KEY.replace("it@example", "renamed@example")  # the same key under another comment
    assert add_authorized_keys(layout, (renamed,)) == "already there"
    assert existing.read_text().count("AAAAC3Nza") == 1


def test_a_machine_id_in_an_image_is_reported_not_changed(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    assert "every box made from it shares it" in check_machine_id(Layout(tmp_path))
    assert (tmp_path / "etc/machine-id").read_text() == "0123456789abcdef0123456789abcdef\n"


def test_without_a_service_user_the_home_is_left_as_it_is(tmp_path):
    layout = Layout(tmp_path)
    layout.home.mkdir(parents=True)
    assert give_home_to_service_user(layout).startswith("no dangan user yet")
    assert layout.home.stat().st_uid == 0



def fake_blkid(directory, drives: dict[str, str]) -> None:
    """A blkid that knows these drives' labels: labelled drives cannot be attached here."""
    cases = "".join(f"  {label}) echo {device} ;;\n" for label, device in drives.items())
    script = directory / "blkid"
    script.write_text(f'#!/bin/sh\ncase "$2" in\n{cases}  *) exit 2 ;;\nesac\n')
    script.chmod(0o755)


def test_the_answers_drive_is_found_by_either_label_the_long_one_first(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    fake_blkid(tmp_path, {"DANGAN": "/dev/sdb1"})
    assert labelled_device() == "/dev/sdb1"  # a FAT stick: its label holds 11 characters at most
    fake_blkid(tmp_path, {"DANGAN": "/dev/sdb1", "DANGAN-ANSWERS": "/dev/sdc1"})
    assert labelled_device() == "/dev/sdc1"
    fake_blkid(tmp_path, {"OTHER": "/dev/sdd1"})
    assert labelled_device() is None
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert labelled_device() is None  # no blkid at all
