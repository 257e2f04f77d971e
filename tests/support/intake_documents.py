"""Build delivered documents (manifest + page bytes) for intake tests, as an agent would."""

import hashlib
import io
import uuid

from PIL import Image

from appliance.domain.intake_manifest import BatchInfo, CaptureInfo, Manifest, PageEntry, document_key

BATCH_ID = str(uuid.UUID(int=7))


def page_png(seed: int) -> bytes:
    image = Image.new("L", (40, 30), color=seed % 256)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def delivered(cover: str | None, seeds: list[int], problem: str | None = None, sequence: int = 1,
              batch_id: str = BATCH_ID) -> tuple[Manifest, list[bytes]]:
    return delivered_raw(cover, [page_png(seed) for seed in seeds], problem, sequence, batch_id)


def delivered_raw(cover: str | None, pages: list[bytes], problem: str | None = None, sequence: int = 1,
                  batch_id: str = BATCH_ID) -> tuple[Manifest, list[bytes]]:
    entries = tuple(PageEntry(f"page-{number}", hashlib.sha256(data).hexdigest(), "image/png", 300, "greyscale",
                              None, "test:0") for number, data in enumerate(pages, start=1))
    manifest = Manifest(
        document_key=document_key(cover, [entry.sha256 for entry in entries]), sequence=sequence,
        batch=BatchInfo(batch_id, "scan", "test:0", "operator-1", "2026-11-27T03:00:00+00:00"),
        cover_payload=cover, problem=problem, capture=CaptureInfo("colour", "ADF", False), pages=entries)
    return manifest, pages


def streams(pages: list[bytes]) -> list[io.BytesIO]:
    return [io.BytesIO(data) for data in pages]
