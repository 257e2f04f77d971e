"""The intake wire format on the agent's side: the multipart body that carries a manifest and its pages.

POST {appliance}/api/v1/intake carries `Idempotency-Key: <document key>` and a multipart/form-data body: a part
`manifest` (application/json, UTF-8) and one part per page, `page-1` ... `page-N`, each with its media type.
The manifest and its strict reading live in appliance/domain/intake_manifest.py, shared with the appliance.
This module knows no HTTP.
"""

import hashlib
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from appliance.domain.errors import InvalidInputError
from appliance.domain.intake_manifest import Manifest, check_parts, parse_manifest

CHUNK_SIZE = 256 * 1024


@dataclass(frozen=True)
class MultipartBody:
    """A multipart/form-data body whose page parts are streamed from files, never held in memory together."""

    content_type: str
    length: int
    segments: tuple[bytes | Path, ...]  # literal bytes, or a file whose whole content goes there

    def chunks(self) -> Iterator[bytes]:
        """Yield the body in order; raises OSError if a page file cannot be read."""
        for segment in self.segments:
            if isinstance(segment, bytes):
                yield segment
                continue
            with segment.open("rb") as source:
                while chunk := source.read(CHUNK_SIZE):
                    yield chunk


def encode_body(manifest: Manifest, page_files: Sequence[Path]) -> MultipartBody:
    """Build the multipart body for a manifest and its page files, in manifest order; raises OSError on a missing
    page file (its size is taken now, so the Content-Length is known before anything is sent)."""
    if len(page_files) != len(manifest.pages):
        raise InvalidInputError(f"{len(page_files)} page files for a manifest of {len(manifest.pages)} pages")
    boundary = f"dangan-{uuid.uuid4().hex}"
    # the manifest goes as a file part: form fields are capped far below a 5,000-page manifest by web servers
    segments: list[bytes | Path] = [
        _part_head(boundary, "manifest", "manifest.json", "application/json; charset=utf-8"),
        manifest.to_json().encode("utf-8"), b"\r\n"]
    length = sum(len(segment) for segment in segments)
    for page, path in zip(manifest.pages, page_files, strict=True):
        head = _part_head(boundary, page.part, page.file_name, page.media_type)
        segments += [head, path, b"\r\n"]
        length += len(head) + path.stat().st_size + 2
    closing = f"--{boundary}--\r\n".encode("ascii")
    segments.append(closing)
    return MultipartBody(f"multipart/form-data; boundary={boundary}", length + len(closing), tuple(segments))


def _part_head(boundary: str, name: str, file_name: str, media_type: str) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n"
            f"Content-Type: {media_type}\r\n\r\n").encode("ascii")


@dataclass(frozen=True)
class DecodedBody:
    manifest: Manifest
    pages: dict[str, bytes]  # part name → bytes


def decode_body(content_type: str, body: bytes) -> DecodedBody:
    """Read a whole multipart body held in memory (tests and small tools; a server should stream), check the
    manifest and every page digest; raises InvalidInputError naming the problem."""
    parts = _split_parts(_boundary_of(content_type), body)
    if "manifest" not in parts:
        raise InvalidInputError("body has no 'manifest' part")
    manifest = parse_manifest(parts.pop("manifest"))
    check_parts(manifest, {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()})
    return DecodedBody(manifest, parts)


def _boundary_of(content_type: str) -> bytes:
    kind, _, parameters = content_type.partition(";")
    match = re.search(r'boundary="?([0-9A-Za-z\'()+_,./:=?-]{1,70})"?', parameters)
    if kind.strip().lower() != "multipart/form-data" or not match:
        raise InvalidInputError(f"body must be multipart/form-data with a boundary, not {content_type!r:.80}")
    return match.group(1).encode("ascii")


def _split_parts(boundary: bytes, body: bytes) -> dict[str, bytes]:
    delimiter = b"--" + boundary
    end = body.rfind(b"\r\n" + delimiter + b"--")
    if not body.startswith(delimiter + b"\r\n") or end < 0:
        raise InvalidInputError("multipart body is not framed by its boundary")
    inner = body[len(delimiter) + 2:end]
    parts: dict[str, bytes] = {}
    for chunk in inner.split(b"\r\n" + delimiter + b"\r\n"):
        head, separator, data = chunk.partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head) if separator else None
        if not name:
            raise InvalidInputError("multipart part without a name")
        if name.group(1).decode("ascii", "replace") in parts:
            raise InvalidInputError(f"multipart part {name.group(1)!r} appears twice")
        parts[name.group(1).decode("ascii", "replace")] = data
    return parts
