"""A real, small file system (tmpfs) that really fills up: for the disk-full tests. The suite runs as root."""

import contextlib
import subprocess
from pathlib import Path


@contextlib.contextmanager
def tiny_disk(mount_point: Path, size: str):
    """Mount a tmpfs of `size` (e.g. "1m") at `mount_point` for the block; raises if it cannot be mounted."""
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)], check=True,
                   capture_output=True, text=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
