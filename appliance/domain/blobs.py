"""References to stored content: digests identify a blob; SM3 is kept for auditors who ask for it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    sm3: str
    size: int
    media_type: str = "application/octet-stream"
