"""Checks on delivered page images: an original must open, or it is no use to anyone."""

from pathlib import Path

from PIL import Image, UnidentifiedImageError

Image.MAX_IMAGE_PIXELS = 200_000_000  # A0 at 300 dpi is 140 Mpx; past this, a "page" is a decompression bomb
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "TIFF": "image/tiff"}


def image_problem(path: Path, media_type: str) -> str | None:
    """Why the file is not a usable page image of the stated type, or None when it is."""
    try:
        with Image.open(path) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        return f"not a readable image ({error})"
    if FORMATS.get(image_format) != media_type:
        return f"the content is {image_format}, not {media_type}"
    return None
