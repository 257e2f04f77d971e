"""Finding the answers file at first boot: on a drive labelled DANGAN-ANSWERS or DANGAN (mounted read-only for the
run), else /etc/dangan/answers.toml; with neither, the caller asks the person at the console."""

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from provisioning.layout import Layout
from provisioning.system import ProvisioningError, run_command

ANSWERS_LABELS = ("DANGAN-ANSWERS", "DANGAN")  # the short one fits a FAT stick's label (11 characters)
ANSWERS_NAME = "answers.toml"


@contextlib.contextmanager
def first_boot_answers(layout: Layout) -> Iterator[Path | None]:
    """The answers file to use, or None; a drive found is mounted read-only while the block runs.

    Only the box itself looks for a drive; under another root, only that root's /etc/dangan/answers.toml counts.
    Raises ProvisioningError when the drive is there but cannot be mounted or holds no answers.toml.
    """
    device = labelled_device() if layout.live else None
    if device is None:
        installed = installed_answers(layout)
        yield installed if installed.is_file() else None
        return
    with _mounted_read_only(device) as mount_point:
        found = mount_point / ANSWERS_NAME
        if not found.is_file():
            raise ProvisioningError(f"the drive {device} labelled for Dangan holds no {ANSWERS_NAME} at its root")
        yield found


def labelled_device() -> str | None:
    """The block device whose file system has one of ANSWERS_LABELS (the first label found wins), or None."""
    if shutil.which("blkid") is None:
        return None
    for label in ANSWERS_LABELS:
        completed = subprocess.run(["blkid", "-L", label], capture_output=True, text=True, timeout=30,
                                   check=False, stdin=subprocess.DEVNULL)
        device = completed.stdout.strip()
        if completed.returncode == 0 and device:
            return device
    return None


def installed_answers(layout: Layout) -> Path:
    """Where an answers file left on the box itself is read from."""
    return layout.etc("dangan") / ANSWERS_NAME


@contextlib.contextmanager
def _mounted_read_only(device: str) -> Iterator[Path]:
    mount_point = Path(tempfile.mkdtemp(prefix="dangan-answers-"))
    try:
        run_command(["mount", "-o", "ro,nosuid,nodev,noexec", device, str(mount_point)])
        try:
            yield mount_point
        finally:
            run_command(["umount", str(mount_point)])
    finally:
        mount_point.rmdir()
