"""A document's searchable PDF: the one-page PDFs from OCR joined in order, their text layers kept."""

import contextlib
import io

import pikepdf

from appliance.domain.errors import InvalidInputError


def merge_pages(page_pdfs: list[bytes]) -> bytes:
    """One PDF holding every page of `page_pdfs`, in order (a multi-page input contributes all its pages).

    Raises InvalidInputError for an empty list or an input that is not a readable PDF.
    """
    if not page_pdfs:
        raise InvalidInputError("a document needs at least one page to make a PDF")
    with contextlib.ExitStack() as open_files:
        # The sources stay open until the merged file is saved: pikepdf copies their objects lazily.
        sources = [open_files.enter_context(_open_pdf(data, number)) for number, data in enumerate(page_pdfs, 1)]
        merged = open_files.enter_context(pikepdf.new())
        for source in sources:
            # Copying a page brings what it refers to (its image, the invisible text and its font) along.
            merged.pages.extend(source.pages)
        output = io.BytesIO()
        merged.save(output, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return output.getvalue()


def _open_pdf(data: bytes, number: int) -> pikepdf.Pdf:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as error:
        raise InvalidInputError(f"page PDF {number} is not a readable PDF ({len(data)} bytes): {error}") from error
    if len(pdf.pages) == 0:
        pdf.close()
        raise InvalidInputError(f"page PDF {number} has no pages")
    return pdf
