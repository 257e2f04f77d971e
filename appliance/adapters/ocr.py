"""Optical character recognition of one page with tesseract: its text and a one-page searchable PDF, in one run."""

import functools
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from PIL import Image, UnidentifiedImageError

from appliance.domain.errors import DanganError, InvalidInputError

# chi_sim alone, not chi_sim+eng: on rendered 15 pt pages at 300 dpi, chi_sim+eng averaged 2.2% character errors
# (up to 9.6% on one page) against 1.3% (up to 2.1%) for chi_sim, and took ~30% longer. Its English fallback turns
# short Chinese words into Latin garbage (王明 -> "FEAR", 电话 -> "Bis", a whole heading -> "LBA RBA DABS"); chi_sim
# reads Latin letters and digits well, its slips are letter case and a lost space between English words.
OCR_LANGUAGES = "chi_sim"
# One OpenMP thread per tesseract process: on 2 cores the default threading made a page take 13.9 s instead of 2.7 s
# (FIELD_NOTES). Parallelism comes from running one process per core instead.
TESSERACT_THREADS = "1"
# tesseract's "diacritic" noise removal takes the strokes of Chinese characters for noise and silently drops whole
# runs of a line (measured on a rendered 15 pt page: 14 characters lost from one line). Off costs nothing measurable.
TESSERACT_SETTINGS = ("enable_noise_removal=0",)
OUTPUTS = ("txt", "pdf", "tsv")  # tesseract's own config files: plain text, searchable PDF, word confidences
DEFAULT_RESOLUTION = 300  # a page that does not say its resolution is taken to be a 300 dpi scan
TIMEOUT_SECONDS = 300
# Bump when the post-processing of the text changes: derivatives are keyed by source hash + generator version.
TEXT_PROCESSING_VERSION = 1
# Formats leptonica reads as they are; anything else Pillow decodes is handed over as PNG.
TESSERACT_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif", "PPM": ".pnm", "BMP": ".bmp"}

# Ideographs, CJK symbols and punctuation (、。〔〕《》), full-width forms (，：；（）) and the general punctuation
# Chinese text uses (“”‘’…—).
_CJK = (r"\u2014\u2018\u2019\u201c\u201d\u2026"
        r"\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u3000]+(?=[{_CJK}])")


class OcrError(DanganError):
    """tesseract is missing or failed on a page; the message carries what tesseract said."""

    code = "ocr_failed"


@dataclass(frozen=True)
class PageText:
    """What OCR made of one page: the text, a one-page PDF (the image with an invisible text layer) and
    tesseract's mean word confidence (0-100; None when it found no words)."""

    text: str
    pdf: bytes
    mean_confidence: float | None


@dataclass(frozen=True)
class _PreparedImage:
    data: bytes
    suffix: str
    resolution: int


def recognise_page(image_data: bytes, *, resolution: int | None = None, languages: str = OCR_LANGUAGES) -> PageText:
    """OCR one page image (PNG, JPEG, TIFF, PNM, BMP or anything Pillow reads) into text and a searchable PDF.

    `resolution` (dpi) overrides what the image file says; without either, 300 dpi is assumed.
    Raises InvalidInputError for bytes that are not one decodable image, OcrError when tesseract fails.
    """
    image = _prepare_image(image_data, resolution)
    with tempfile.TemporaryDirectory(prefix="dangan-ocr-") as directory:
        image_path = Path(directory) / f"page{image.suffix}"
        image_path.write_bytes(image.data)
        output_base = Path(directory) / "page"
        _run_tesseract(tesseract_arguments(image_path, output_base, image.resolution, languages))
        text = output_base.with_suffix(".txt").read_text(encoding="utf-8")
        pdf = output_base.with_suffix(".pdf").read_bytes()
        tsv = output_base.with_suffix(".tsv").read_text(encoding="utf-8")
    return PageText(join_cjk_spacing(text).strip(), pdf, mean_word_confidence(tsv))


def tesseract_arguments(image_path: Path, output_base: Path, resolution: int, languages: str) -> list[str]:
    """The tesseract command line (without the program) for one page and all our outputs."""
    settings = [argument for setting in TESSERACT_SETTINGS for argument in ("-c", setting)]
    return [str(image_path), str(output_base), "-l", languages, "--dpi", str(resolution), *settings, *OUTPUTS]


def join_cjk_spacing(text: str) -> str:
    """Remove the spaces tesseract puts between two CJK characters or punctuation marks; keep all others."""
    return _SPACE_BETWEEN_CJK.sub("", text)


def mean_word_confidence(tsv: str) -> float | None:
    """The mean confidence of the recognised words in tesseract's TSV output, or None if it holds no word."""
    confidences = []
    for row in tsv.splitlines()[1:]:
        fields = row.split("\t")
        # Level 5 rows are words; a confidence of -1 marks a layout row, an empty text a rejected blob.
        if len(fields) == 12 and fields[0] == "5" and fields[11].strip() and float(fields[10]) >= 0:
            confidences.append(float(fields[10]))
    return round(sum(confidences) / len(confidences), 2) if confidences else None


def _prepare_image(image_data: bytes, resolution: int | None) -> _PreparedImage:
    """Decode the image fully (a truncated file fails here, with a clear message, not inside tesseract)."""
    try:
        with Image.open(io.BytesIO(image_data)) as image:
            image.load()
            frames = getattr(image, "n_frames", 1)
            image_format, declared = image.format, _declared_resolution(image)
            converted = None if image_format in TESSERACT_FORMATS else _as_png(image)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise InvalidInputError(f"the page is not a readable image ({len(image_data)} bytes): {error}") from error
    if frames != 1:
        raise InvalidInputError(f"the page image holds {frames} frames; OCR takes one page at a time")
    resolution = resolution or declared or DEFAULT_RESOLUTION
    if converted is not None:
        return _PreparedImage(converted, ".png", resolution)
    return _PreparedImage(image_data, TESSERACT_FORMATS[image_format], resolution)


def _declared_resolution(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    # A JPEG without a density says 1 or 72 "dpi"; neither is a scan's resolution.
    if dpi and 100 <= round(float(dpi[0])) <= 2400:
        return round(float(dpi[0]))
    return None


def _as_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB" if image.mode not in ("1", "L", "RGB") else image.mode).save(buffer, "PNG")
    return buffer.getvalue()


def _run_tesseract(arguments: list[str]) -> None:
    """Run tesseract with one OpenMP thread, set here rather than inherited so a parent's setting cannot undo it."""
    environment = {**os.environ, "OMP_THREAD_LIMIT": TESSERACT_THREADS}
    try:
        result = subprocess.run([_tesseract_program(), *arguments], capture_output=True, env=environment,
                                timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as error:
        raise OcrError(f"tesseract took more than {TIMEOUT_SECONDS} s on one page and was stopped") from error
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
        raise OcrError(f"tesseract failed: {message}")


def _tesseract_program() -> str:
    program = shutil.which(pytesseract.pytesseract.tesseract_cmd)
    if program is None:
        raise OcrError("tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    return program


def check_ocr_available(languages: str = OCR_LANGUAGES) -> list[str]:
    """What stops OCR from working here (tesseract missing, a language model missing); empty when all is well."""
    try:
        installed = _installed_languages()
    except OcrError as error:
        return [str(error)]
    return [f"the tesseract language model {language!r} is not installed (Debian: tesseract-ocr-"
            f"{language.replace('_', '-')})" for language in languages.split("+") if language not in installed]


def _installed_languages() -> dict[str, Path]:
    """Installed language models and their files, from `tesseract --list-langs`."""
    result = subprocess.run([_tesseract_program(), "--list-langs"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise OcrError(f"tesseract --list-langs failed: {result.stderr.strip()}")
    lines = result.stdout.splitlines()
    directory = re.search(r'"(.*)"', lines[0]) if lines else None
    if directory is None:
        raise OcrError(f"tesseract --list-langs said something unexpected: {result.stdout[:200]!r}")
    return {name.strip(): Path(directory.group(1)) / f"{name.strip()}.traineddata" for name in lines[1:]}


@functools.cache
def generator_version(languages: str = OCR_LANGUAGES) -> str:
    """Names the engine, its version, the models (by content), our settings and text processing.

    Derivatives are keyed by source hash + this string, so anything that changes the output must change it.
    Raises OcrError when tesseract or a language model is missing.
    """
    models = _installed_languages()
    fingerprints = []
    for language in languages.split("+"):
        if language not in models:
            raise OcrError(f"the tesseract language model {language!r} is not installed")
        fingerprints.append(f"{language}:{hashlib.sha256(models[language].read_bytes()).hexdigest()[:12]}")
    return (f"tesseract {pytesseract.get_tesseract_version()}; {languages} ({', '.join(fingerprints)}); "
            f"{' '.join(TESSERACT_SETTINGS)}; dangan text {TEXT_PROCESSING_VERSION}")


def __getattr__(name: str) -> str:
    # GENERATOR_VERSION is worked out on first use, not at import: it runs tesseract and reads the models.
    if name == "GENERATOR_VERSION":
        return generator_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
