"""Content-addressed blob store on the local disk: `<root>/sha256/ab/cd/<sha256>`.

A blob is written to a temp file, fsynced, renamed into place and its directory fsynced before
the caller commits the database row that names it; a blob is never changed in place.
"""

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from appliance.domain.blobs import BlobRef
from appliance.domain.errors import IntegrityError, NotFoundError

CHUNK = 1 << 20


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.temp_dir = self.root / "tmp"

    def put_bytes(self, data: bytes) -> BlobRef:
        return self.put_stream(_BytesReader(data))

    def put_file(self, path: Path) -> BlobRef:
        """Store a file's content; raises OSError if it cannot be read."""
        with open(path, "rb") as source:
            return self.put_stream(source)

    def put_stream(self, source: BinaryIO) -> BlobRef:
        """Copy a stream into the store durably and return its digests; an existing blob is kept as is."""
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        sha256, sm3, size = hashlib.sha256(), hashlib.new("sm3"), 0
        handle, temp_name = tempfile.mkstemp(dir=self.temp_dir, prefix="incoming-")
        try:
            with os.fdopen(handle, "wb") as temp:
                while chunk := source.read(CHUNK):
                    sha256.update(chunk)
                    sm3.update(chunk)
                    temp.write(chunk)
                    size += len(chunk)
                temp.flush()
                os.fsync(temp.fileno())
            ref = BlobRef(sha256.hexdigest(), sm3.hexdigest(), size)
            self._move_into_place(Path(temp_name), ref)
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)
        return ref

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise NotFoundError(f"{sha256!r} is not a SHA-256 digest")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """Open a blob for reading; raises NotFoundError if it is missing."""
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {sha256} is missing from the store") from None

    def verify(self, ref: BlobRef) -> None:
        """Re-hash a blob; raises IntegrityError if it is missing, damaged or of the wrong size."""
        digest, size = hashlib.sha256(), 0
        try:
            with self.open(ref.sha256) as blob:
                while chunk := blob.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except NotFoundError as error:
            raise IntegrityError(str(error)) from None
        if digest.hexdigest() != ref.sha256 or size != ref.size:
            raise IntegrityError(f"blob {ref.sha256} is damaged: its content no longer matches its digest")

    def purge(self, sha256: str) -> bool:
        """Delete a blob's file for good (destruction under an approved list); True if there was one to delete.

        A file already gone is fine: a purge cut short by a crash is finished by running it again.
        """
        path = self.path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_directory(path.parent)  # the deletion survives a power cut once the purge is recorded
        return True

    def digests(self) -> Iterator[str]:
        yield from (path.name for path in (self.root / "sha256").glob("*/*/*"))

    def _move_into_place(self, temp_path: Path, ref: BlobRef) -> None:
        final = self.path(ref.sha256)
        if final.is_file() and final.stat().st_size == ref.size:
            return  # same content already stored: dedup
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temp_path, 0o444)
        os.replace(temp_path, final)
        _fsync_directory(final.parent)
        _fsync_directory(final.parent.parent)
        _fsync_directory(final.parent.parent.parent)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _BytesReader:
    def __init__(self, data: bytes):
        self._data, self._offset = memoryview(data), 0

    def read(self, size: int) -> bytes:
        chunk = self._data[self._offset : self._offset + size]
        self._offset += len(chunk)
        return bytes(chunk)
