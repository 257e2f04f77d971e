import datetime
import unicodedata

import pytest

from appliance.domain.watermark import MAX_NAME_LENGTH, MAX_SOURCE_LENGTH, Watermark, clean_text

MOMENT = datetime.datetime(2026, 11, 27, 13, 5, 42, tzinfo=datetime.UTC)


def watermark(display_name: str = "张三", username: str = "zhangsan", source: str = "10.0.0.7",
              moment: datetime.datetime = MOMENT) -> Watermark:
    return Watermark(username=username, display_name=display_name, moment=moment, source=source)


def test_lines_name_the_viewer_the_minute_and_the_address():
    assert watermark().lines() == ("张三 (zhangsan)", "2026-11-27 13:05 UTC", "10.0.0.7")
    assert watermark().text() == "张三 (zhangsan) · 2026-11-27 13:05 UTC · 10.0.0.7"


def test_the_moment_is_shown_in_utc_whatever_zone_it_came_in():
    beijing = datetime.timezone(datetime.timedelta(hours=8))
    moment = datetime.datetime(2026, 11, 28, 5, 5, tzinfo=beijing)
    assert watermark(moment=moment).lines()[1] == "2026-11-27 21:05 UTC"


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        watermark(moment=datetime.datetime(2026, 11, 27, 13, 5))


@pytest.mark.parametrize("display_name", ["", "zhangsan", "  \t "])
def test_the_username_alone_when_the_display_name_adds_nothing(display_name):
    assert watermark(display_name=display_name).lines()[0] == "zhangsan"


def test_control_and_format_characters_do_not_reach_the_text():
    hostile = "张\x00三\u202e\n伪造\x1b[31m\u200b\u2028名"
    lines = watermark(display_name=hostile, username="zhang\rsan", source="10.0.0.7\x07").lines()
    assert lines[0] == "张三 伪造[31m 名 (zhang san)"
    assert lines[2] == "10.0.0.7"
    text = watermark(display_name=hostile).text()
    assert not [character for character in text if unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp")]


def test_long_parts_are_cut_with_an_ellipsis():
    lines = watermark(display_name="长" * 5000, source="2001:db8::" + "f" * 500).lines()
    assert lines[0] == "长" * (MAX_NAME_LENGTH - 1) + "… (zhangsan)"
    assert len(lines[2]) == MAX_SOURCE_LENGTH and lines[2].endswith("…")


def test_an_empty_username_or_source_still_shows_a_mark():
    assert watermark(display_name="", username="\x00", source="").lines()[0::2] == ("?", "?")


def test_clean_text_composes_and_collapses_whitespace():
    assert clean_text("e\u0301  a\t\tb ", 10) == "é a b"
    assert clean_text("abcdef", 4) == "abc…"
