"""Writing files that survive a power cut: data fsynced before the caller goes on, directories fsynced after a
rename or a new entry, so what the agent acknowledges is on the disk and not only in the page cache."""

import os
from pathlib import Path


def write_file(path: Path, data: bytes, exclusive: bool = False) -> None:
    """Write and fsync `path`; with `exclusive`, refuse (FileExistsError) to replace an existing file."""
    with open(path, "xb" if exclusive else "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


def fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
