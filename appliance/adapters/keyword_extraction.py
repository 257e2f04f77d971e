"""Keywords of a Chinese document by jieba's TF-IDF, without the boilerplate every official document shares.

jieba loads its dictionary (~1 s, from its cache in the temporary directory) and its IDF table (~0.5 s) lazily:
both are loaded once per process, on the first document, under a lock, so the web and the worker pay it once and
not per request or job.
"""

import copy
import re
import threading

_STOP_WORDS_TEXT = """
通知 关于 有关 单位 各单位 工作 要求 进行 开展 加强 做好 落实 情况 相关 以下 如下 现将 特此 请示 批复 报告 意见 同意
根据 按照 认真 切实 进一步 部门 各部门 各级 人民政府 政府 办公室 办公厅 文件 附件 抄送 印发 签发人 签发 联系人 电话
事项 组织 实施 贯彻 精神 有效 确保 推进 提高 积极 及时 严格 各区县 区县 市政府 主要 重要 全面 年度 我们 通过 以及
本次 有关部门 负责 规定 办法 方案 工作组 领导 同志 各地 各县 全市 全省 全县 本市 本单位 通报 函 决定 公告 通告
复函 来函 收悉 研究 经研究 如有 为了 为此 对于 结合 实际 请各 请于 执行 遵照 参照 印发给 认真贯彻 贯彻落实 工作要求
切实做好 做好 相关部门 有关单位 有关事项 主要内容 进一步加强 切实加强 高度重视 重视 务必 务求 不断 健全
完善 机制 制度 情况报告
联系 地址 邮编 传真 日期 年月日 单位名称 现就 如下通知 特此通知 特此批复 特此函复 当否 妥否 请批示 此复 此致 敬礼
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
MINIMUM_LENGTH = 2
CANDIDATES = 40  # jieba's top terms, of which the boilerplate is dropped before the top `limit` are kept
_NUMBERS = re.compile(r"^[0-9０-９一二三四五六七八九十百千万〇零.%％年月日号第]+$")

_lock = threading.Lock()
_extractor = None


def _loaded():
    """jieba's TF-IDF extractor, built on first use (dictionary and IDF table read once per process)."""
    global _extractor
    with _lock:
        if _extractor is None:
            import jieba
            import jieba.analyse

            jieba.setLogLevel(60)  # its start-up chatter goes to stderr otherwise
            jieba.initialize()
            # importing jieba.analyse already read the IDF table into its default extractor: share that table
            # (read-only) and give the copy its own stop-word set, so jieba's global one stays as it was
            extractor = copy.copy(jieba.analyse.default_tfidf)
            extractor.stop_words = set(extractor.stop_words) | STOP_WORDS
            _extractor = extractor
        return _extractor


class JiebaKeywords:
    """The KeywordExtractor port (appliance/services/keywords.py) over jieba's TF-IDF."""

    def extract(self, text: str, limit: int) -> list[tuple[str, float]]:
        """The `limit` subject words of `text` with their TF-IDF weights, heaviest first."""
        if not text.strip():
            return []
        terms = _loaded().extract_tags(text, topK=CANDIDATES, withWeight=True)
        kept = [(word.strip(), float(weight)) for word, weight in terms if is_subject_word(word.strip())]
        return kept[:limit]


def is_subject_word(word: str) -> bool:
    """Not boilerplate, not a number or date, not a single character, not plain ASCII noise from OCR."""
    return (len(word) >= MINIMUM_LENGTH and len(word) <= 40 and word not in STOP_WORDS
            and not _NUMBERS.match(word) and not word.isascii())
