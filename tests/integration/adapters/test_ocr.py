"""OCR with the real tesseract (chi_sim) on a rendered page of an official document."""

import io
import re
import subprocess

import pytest

from appliance.adapters.ocr import (
    OCR_LANGUAGES,
    OcrError,
    PageText,
    check_ocr_available,
    join_cjk_spacing,
    recognise_page,
)
from appliance.adapters.sample_batch import render_text_page
from appliance.domain.errors import InvalidInputError
from tests.support.text_similarity import character_error_rate

NOTICE = [
    "滨江市人民政府办公室文件",
    "办发〔2011〕12号",
    "关于开展2011年度档案工作检查的通知",
    "各区县人民政府、市政府各部门：",
    "为贯彻落实《中华人民共和国档案法》，经市政府同意，定于2011年3月15日至4月30日开展全市档案工作检查。"
    "现将有关事项通知如下。",
    "一、各单位应于4月20日前完成自查，并将自查报告（PDF或Word格式）报送市档案局，联系电话：0571-87654321。",
    "二、检查内容包括文书档案、会计档案和电子文件的归档情况，重点检查ISO 15489标准的执行情况。",
    "滨江市人民政府办公室",
    "2011年3月8日",
]
CJK_SPACE_CJK = re.compile(r"[\u4e00-\u9fff][ \u3000]+[\u4e00-\u9fff]")


def png_bytes(image, dpi: int = 300) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def notice_png() -> bytes:
    return png_bytes(render_text_page(NOTICE, dpi=300))


@pytest.fixture(scope="module")
def recognised(notice_png: bytes) -> PageText:
    return recognise_page(notice_png)  # the one full OCR run of this module (~1-3 s)


def test_character_error_rate_is_at_most_five_percent(recognised: PageText):
    reference = "\n".join(NOTICE)
    rate = character_error_rate(reference, recognised.text)
    raw_rate = character_error_rate(reference, recognised.text, normalise=False)
    assert rate <= 0.05, f"CER {rate:.1%} (raw {raw_rate:.1%}); tesseract read:\n{recognised.text}"
    assert 50 <= recognised.mean_confidence <= 100


def test_text_has_no_spaces_between_chinese_characters(recognised: PageText):
    assert CJK_SPACE_CJK.search(recognised.text) is None, recognised.text
    assert "中华人民共和国档案法" in recognised.text
    assert "ISO 15489" in recognised.text  # the space between Latin words and digits stays


def test_page_pdf_holds_the_image_and_its_text(recognised: PageText, tmp_path):
    path = tmp_path / "page.pdf"
    path.write_bytes(recognised.pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "中华人民共和国档案法" in flat and "0571-87654321" in flat
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\n", info) and "(A4)" in info  # the 300 dpi of the PNG sized the page
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert len(images.splitlines()) == 3  # header, rule, one image


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + bytes(200)])
def test_unreadable_bytes_are_invalid_input(data: bytes):
    with pytest.raises(InvalidInputError, match="not a readable image"):
        recognise_page(data)


def test_truncated_image_is_invalid_input(notice_png: bytes):
    with pytest.raises(InvalidInputError, match="not a readable image"):
        recognise_page(notice_png[: len(notice_png) // 2])


def test_tesseract_failure_carries_its_message(notice_png: bytes):
    with pytest.raises(OcrError, match="tesseract failed: .*xyz"):
        recognise_page(notice_png, languages="xyz")


def test_spaces_are_removed_only_between_cjk_characters():
    text = "滨江 市 人民 政府 ， 办发 〔 2011 〕 12 号 Hello World 档案 PDF 文件\n第二 行"
    assert join_cjk_spacing(text) == "滨江市人民政府，办发〔 2011 〕 12 号 Hello World 档案 PDF 文件\n第二行"


def test_ocr_is_available_here_and_missing_models_are_named():
    assert check_ocr_available() == []
    assert check_ocr_available(OCR_LANGUAGES + "+xyz") == [
        "the tesseract language model 'xyz' is not installed (Debian: tesseract-ocr-xyz)"]


def test_generator_version_names_engine_and_languages():
    from appliance.adapters import ocr

    assert re.match(r"tesseract \d+\.\d+", ocr.GENERATOR_VERSION)
    assert f"; {OCR_LANGUAGES} (" in ocr.GENERATOR_VERSION
