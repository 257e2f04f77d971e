"""Segmentation benchmark (issue 8): do our CJK bigrams or jieba's words find more of what people mean?

    .venv/bin/python bench/segmentation_bench.py [--paragraphs N] [--seed S] [--quick]

The evaluation has known answers because the text is made from words whose segmentation we wrote down. A hand-written
lexicon of official-document vocabulary (通知/请示/批复/报告/函 on 防汛, 安全生产, 人事, 财务, 档案, 教育, 卫生) is
written pre-segmented: every space-separated token of a template is one word, and a compound is written with its
parts (`防汛+抗旱`, `档案+管理+办法`, `中华+人民+共和国`, with `共和+国` nested). Paragraphs are short documents: a
heading, an address line, two to four body sentences, a closing, with organs (city + competent office), people
(surname + given name), 文号, dates and figures filled in. Each paragraph remembers its words.

Gold: a paragraph is relevant to a query term when the term is one of its words, a part (at any depth) of one of
its compounds, or words and parts that follow each other: an occurrence that starts and ends on a boundary of the
written segmentation (人民共和国 in 中华|人民|共和|国 is meant, 华人 is not; 市长 in 全市|长期 is not). That is what a
person typing the term means. Queries: every 1- to 4-character word and part of the vocabulary that occurs in the
corpus, plus "accidental" strings: substrings of the text that never start and end on boundaries (they arise only
across them) and that jieba's dictionary knows as words, so someone might type them; their gold set is empty, and
the column to read for them is "false-hit" (queries that found anything). "Ambiguous words" are the word queries
whose substring matches include paragraphs that do not mean them (a subset picked by where substrings go wrong, so
it flatters no method: read it with the class of all words). The judgement of what is a word is ours; the
vocabulary is the official register jieba's dictionary knows well, closer to it than OCR of real archives with local
names would be, and every word counts once (macro averages), whatever its frequency as a query.

Methods, each through a real SQLite FTS5 table (in memory, `unicode61 remove_diacritics 0` over space-joined tokens,
as migration 0008): (1) bigrams, with appliance.domain.search_text's `index_text` and `parse_query` (what the
product does); (2) jieba precise mode (`jieba.lcut`) for documents and queries; (3) jieba search mode
(`jieba.lcut_for_search`) for documents, precise mode for queries. A jieba query of several tokens is their phrase.
Scores per query class: macro recall (over queries with a gold set), macro precision (over queries that found
something), F1 of the two, queries that found none of their gold, queries that found something not meant. Index
cost: tokens, bytes of the FTS5 shadow tables (dbstat), CPU time to tokenise and insert (CPU, not wall time: the
machine is shared). The same is run on OCR-like noise: 1 % of the characters dropped and 1 % replaced by a character
drawn from the corpus; gold stays what the clean text meant. Last, hybrids that keep bigrams' matches and reorder
them, scored by mean average precision and precision at 10 against bigrams' bm25 order: paragraphs that a jieba index
also matches first (needs a second index), or, on the first page of 20 only, those where jieba cuts the term out of
a window of 8 characters either side of an occurrence (no second index; its CPU time per query is shown).
"""
# ruff: noqa: E402  (the repository root goes on sys.path first)

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import itertools
import logging
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import jieba

from appliance.domain.search_text import CJK_CHARACTERS, index_text, normalise, parse_query

jieba.setLogLevel(logging.WARNING)

# the lexicon: nested compounds (parts of parts), then the fillers and templates, all written pre-segmented

NESTED = ("中华+人民+共和国 共和+国 人民+政府 人民+群众 安全+生产 应急+管理 档案+法 预算+法 防洪+法 教育+法 "
          "传染病+防治+法 公务员+法 安全生产+法 党政+机关 委员+会 责任+制 人力+资源 社会+保障 公共+卫生 工作+人员 "
          "防汛+抗旱 降雨+量 传染+病 数字+化 联系+人 重+特大 执行+率 完成+率 汛限+水位 副+局长 副+主任 副+市长 试用+期")
CITIES = ("杭州+市", "宁波+市", "温州+市", "嘉兴+市", "湖州+市", "绍兴+市", "金华+市", "台州+市")
CITY_MARKS = "杭甬温嘉湖绍金台"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ("建国", "秀英", "志强", "丽华", "海燕", "晓明", "文杰", "玉兰", "国庆", "红梅", "建华", "春生", "伟",
               "敏", "静", "磊")
POSITIONS = ("局长", "副+局长", "主任", "副+主任", "市长", "副+市长", "处长")
LAWS = ("中华人民共和国+档案法", "中华人民共和国+安全生产法", "中华人民共和国+预算法", "中华人民共和国+防洪法",
        "中华人民共和国+教育法", "中华人民共和国+传染病防治法", "中华人民共和国+公务员法",
        "党政机关+公文+处理+工作+条例", "机关+档案+工作+规定")


@dataclass(frozen=True)
class Subject:
    """A subject of official documents: its competent offices, 文号 code, topics, titles and own sentences."""

    offices: tuple[str, ...]
    code: str
    topics: tuple[str, ...]
    titles: tuple[str, ...]
    sentences: tuple[str, ...]


SUBJECTS = {
    "防汛": Subject(
        ("防汛抗旱+指挥部", "水利+局", "应急管理+局"), "水",
        ("防汛+抗旱", "汛期+安全", "山洪+灾害+防御", "水库+安全+度汛", "城市+内涝+治理", "台风+防御"),
        ("防汛+应急+预案", "水库+调度+规程"),
        ("入汛 以来 ， 全市 累计 降雨+量 {number} 毫米 ， 较 常年 偏多 {small} 成 ， 部分 水库 超过 汛限+水位 。",
         "各地 要 严格 落实 防汛+责任制 ， 加强 值班 值守 ， 提前 转移 危险+区 群众 ， "
         "确保 人民+群众 生命 财产 安全 。")),
    "安全生产": Subject(
        ("应急管理+局", "安全生产+委员会"), "安",
        ("安全生产", "危险+化学品+监管", "消防+安全", "隐患+排查+治理", "特种+设备+安全", "安全生产+大+检查"),
        ("安全生产+责任制+考核+办法", "生产+安全+事故+应急+预案"),
        ("{year} 年 以来 ， 全市 共 发生 生产+安全+事故 {small} 起 ， 死亡 {small} 人 ， 同比 下降 {percent} % 。",
         "各 企业 要 落实 安全生产+主体+责任 ， 开展 隐患 自查 自改 ， 严防 重特大 事故 发生 。")),
    "人事": Subject(
        ("人力资源+和+社会保障+局", "组织+部"), "人",
        ("公开+招聘", "干部+任免", "职称+评审", "人事+档案+管理", "工资+调整", "年度+考核"),
        ("公开+招聘+工作人员+实施+方案", "年度+考核+办法"),
        ("经 研究 决定 ， 任命 {person} 同志 为 {position} ， 试用+期 一 年 。",
         "本次 公开+招聘 工作人员 {small} 名 ， 报名 人数 {number} 人 ， 经 笔试 面试 择优 录用 。")),
    "财务": Subject(
        ("财政+局", "审计+局"), "财",
        ("部门+预算", "财务+报销", "国有+资产+管理", "政府+采购", "专项+资金+绩效+评价", "内部+审计"),
        ("财务+报销+管理+办法", "专项+资金+管理+办法"),
        ("经 审核 ， {year} 年度 {topic} 支出 {amount} 万元 ， 预算 执行+率 {percent} % 。",
         "各 单位 要 严格 执行 财务+报销 制度 ， 严禁 虚列 支出 ， 确保 资金 使用 安全 规范 。")),
    "档案": Subject(
        ("档案+馆", "档案+局"), "档",
        ("档案+管理", "档案+数字化", "文书+档案+归档", "电子+档案", "档案+安全+检查", "档案+移交"),
        ("档案+管理+办法", "档案+保管+期限+表"),
        ("截至 {date} ， 馆藏 档案 {number} 卷 ， 已 完成 数字化 扫描 {amount} 页 。",
         "各 立档 单位 应当 在 次年 {month} 月 底 前 将 上 一 年度 文书+档案 整理 归档 ， 并 向 档案+馆 移交 。")),
    "教育": Subject(
        ("教育+局",), "教",
        ("义务+教育", "校园+安全", "教师+培训", "招生+工作", "学生+资助", "课后+服务"),
        ("义务+教育+招生+工作+方案", "校园+安全+管理+办法"),
        ("全市 共有 中小学 {number} 所 ， 在校 学生 {amount} 人 ， 专任+教师 {small} 人 。",
         "各 学校 要 加强 校园+安全 管理 ， 落实 门卫 值守 制度 ， 严防 校园 欺凌 事件 发生 。")),
    "卫生": Subject(
        ("卫生+健康+委员会", "疾病+预防+控制+中心"), "卫",
        ("传染病+防控", "公共卫生", "基层+医疗+卫生", "疫苗+接种", "食品+安全", "爱国+卫生+运动"),
        ("突发+公共卫生+事件+应急+预案", "疫苗+接种+工作+规范"),
        ("{year} 年 全市 报告 法定 传染病 {number} 例 ， 无 重大 突发+公共卫生+事件 。",
         "各级 医疗+卫生+机构 要 做好 疫苗+接种 工作 ， 加强 发热+门诊 管理 。")),
}
GENERIC = (
    "各 单位 要 高度 重视 {topic} 工作 ， 切实 加强 组织 领导 ， 明确 责任 分工 ， 确保 各项 措施 落到 实处 。",
    "{date} ， {organ} 召开 {topic} 专题 会议 ， 研究 部署 {topic2} 有关 工作 ， "
    "{position} {person} 出席 会议 并 讲话 。",
    "经 研究 ， 同意 {topic} 项目 实施+方案 ， 所需 经费 {amount} 万元 从 {year} 年度 部门+预算 中 列支 。",
    "请 于 {date} 前 将 {topic} 落实 情况 报送 {organ} ， 联系人 ： {person} ， 电话 ： {phone} 。",
    "对 在 {topic} 工作 中 表现 突出 的 单位 和 个人 予以 通报 表扬 ， 对 工作 不力 的 单位 责令 限期 整改 。",
    "要 坚持 问题 导向 ， 深入 开展 {topic} 领域 风险 隐患 排查 ， 建立 问题 清单 ， 实行 销号 管理 。",
    "根据 《 {law} 》 有关 规定 ， 结合 本 地区 实际 ， 制定 《 {title} 》 。",
    "{topic} 是 一项 系统 工程 ， 涉及 {topic2} 等 多个 方面 ， 各 有关 部门 要 密切 配合 ， 形成 工作 合力 。",
    "现 将 《 {title} 》 印发 给 你们 ， 请 结合 实际 认真 贯彻 执行 。",
    "全市 长期 坚持 {topic} 工作 不 放松 ， 每月 定期 开会 研究 {topic2} 中 的 突出 问题 。",
    "{position} {person} 指出 ， 要 把 {topic} 作为 一项 重要 任务 ， 抓 紧 抓 实 ， 久久 为 功 。",
)
KINDS = {
    "通知": ("{organ} 关于 做好 {year} 年 {topic} 工作 的 通知 （ {docnumber} ） "
             "各 区县 人民+政府 ， 市 直属 各 单位 ：",
             "特此 通知 。"),
    "请示": ("{organ} 关于 {topic} 经费 的 请示 （ {docnumber} ） {organ2} ： 现 将 有关 情况 请示 如下 ：",
             "妥否 ， 请 批示 。"),
    "批复": ("{organ} 关于 同意 {topic} 实施+方案 的 批复 （ {docnumber} ） {organ2} ： 你 单位 《 关于 {topic} 的 "
             "请示 》 收悉 。 经 研究 ， 现 批复 如下 ：", "此 复 。"),
    "报告": ("{organ} 关于 {year} 年 {topic} 工作 情况 的 报告 （ {docnumber} ） {organ2} ： 现 将 有关 情况 报告 "
             "如下 ：", "特此 报告 。"),
    "函": ("{organ} 关于 商请 协助 做好 {topic} 工作 的 函 （ {docnumber} ） {organ2} ：", "请 予 支持 为 盼 。"),
}


# the corpus and what each paragraph means


class Lexicon:
    """Words and the parts of compounds, registered as the templates' `a+b` tokens are read."""

    def __init__(self) -> None:
        self.parts: dict[str, tuple[str, ...]] = {}
        for token in _written_compounds():  # all of them first, so parts of parts are known whatever is drawn
            self.word(token)

    def word(self, token: str) -> str:
        """The word a template token writes (`防汛+抗旱` is 防汛抗旱); raises ValueError when a compound is
        given two different segmentations."""
        parts = tuple(token.split("+"))
        text = "".join(parts)
        if len(parts) > 1 and self.parts.setdefault(text, parts) != parts:
            raise ValueError(f"{text} is segmented both as {self.parts[text]} and as {parts}")
        return text

    def meanings(self, word: str) -> set[str]:
        """The word and every part of it, at any depth: the terms a person may type and mean this word."""
        found = {word}
        for part in self.parts.get(word, ()):
            found |= self.meanings(part)
        return found

    def leaves(self, word: str) -> list[str]:
        """The word cut into its smallest parts, in order (a word without parts is its own leaf)."""
        parts = self.parts.get(word)
        return [leaf for part in parts for leaf in self.leaves(part)] if parts else [word]


def _written_compounds() -> list[str]:
    texts = [NESTED, *CITIES, *POSITIONS, *LAWS, *GENERIC, *(text for pair in KINDS.values() for text in pair)]
    for subject in SUBJECTS.values():
        texts += [*subject.offices, *subject.topics, *subject.titles, *subject.sentences]
    return [token for text in texts for token in text.split() if "+" in token and "{" not in token]


@dataclass(frozen=True)
class Paragraph:
    """A generated paragraph: its text, the words (CJK tokens of the lexicon) it was made of, in order, and the
    offsets where a word or a part of one starts or ends."""

    text: str
    words: tuple[str, ...]
    boundaries: frozenset[int]


_CJK = re.compile(f"[{CJK_CHARACTERS}]")
_CJK_RUN = re.compile(f"[{CJK_CHARACTERS}]+")


def paragraph_from(tokens: list[str], lexicon: Lexicon) -> Paragraph:
    """The paragraph written by these tokens (words, with `+` between parts, digits and punctuation)."""
    texts = [lexicon.word(token) for token in tokens]
    boundaries, offset = {0}, 0
    for text in texts:
        for leaf in lexicon.leaves(text):
            offset += len(leaf)
            boundaries.add(offset)
    return Paragraph("".join(texts), tuple(text for text in texts if _CJK.search(text)), frozenset(boundaries))


def generate_corpus(count: int, seed: int, lexicon: Lexicon) -> list[Paragraph]:
    """`count` short official documents: a kind's heading, 2-4 body sentences, the kind's closing."""
    randomness = random.Random(seed)
    return [_document(randomness, lexicon) for _ in range(count)]


def _document(randomness: random.Random, lexicon: Lexicon) -> Paragraph:
    subject = randomness.choice(list(SUBJECTS.values()))
    opening, closing = KINDS[randomness.choice(list(KINDS))]
    sentences = randomness.sample(list(subject.sentences) + list(GENERIC), randomness.randint(2, 4))
    tokens = [token for template in (opening, *sentences, closing)
              for token in template.format(**_slots(randomness, subject)).split()]
    return paragraph_from(tokens, lexicon)


def _slots(randomness: random.Random, subject: Subject) -> dict[str, str]:
    choose, number = randomness.choice, randomness.randint
    city = randomness.randrange(len(CITIES))
    year = str(number(2005, 2024))
    topic, topic2 = randomness.sample(subject.topics, 2)
    return {
        "topic": topic, "topic2": topic2, "title": choose(subject.titles), "law": choose(LAWS),
        "organ": _organ(CITIES[city], choose(subject.offices)),
        "organ2": _organ(choose(CITIES), choose((*subject.offices, "人民+政府"))),
        "person": f"{choose(SURNAMES)}+{choose(GIVEN_NAMES)}", "position": choose(POSITIONS),
        "docnumber": f"{CITY_MARKS[city]}{subject.code}{choose('发函')} 〔 {year} 〕 {number(1, 199)} 号",
        "date": f"{year} 年 {number(1, 12)} 月 {number(1, 28)} 日", "year": year, "month": str(number(1, 12)),
        "number": str(number(10, 9999)), "small": str(number(1, 30)), "amount": str(number(100, 99999)),
        "percent": str(number(50, 99)), "phone": f"0571-{number(80000000, 89999999)}",
    }


def _organ(city: str, office: str) -> str:
    """An organ is a compound of its city and its office, each itself a compound (杭州市 + 应急管理局)."""
    return f"{city.replace('+', '')}+{office.replace('+', '')}"


def vocabulary(paragraphs: list[Paragraph], lexicon: Lexicon) -> set[str]:
    """Every word of the corpus and every part of its compounds."""
    words = {word for paragraph in paragraphs for word in paragraph.words}
    return {meaning for word in words for meaning in lexicon.meanings(word)}


def meant_in(term: str, paragraph: Paragraph) -> bool:
    """Whether the term occurs in the paragraph from a word or part boundary to another: as a word, a part, or
    words and parts that follow each other (华人 in 中华|人民|共和|国 does not; 人民共和国 does)."""
    start = paragraph.text.find(term)
    while start >= 0:
        if start in paragraph.boundaries and start + len(term) in paragraph.boundaries:
            return True
        start = paragraph.text.find(term, start + 1)
    return False


def gold_sets(paragraphs: list[Paragraph], terms: Iterable[str]) -> dict[str, frozenset[int]]:
    """For each term, the paragraphs (by index) that mean it."""
    return {term: frozenset(index for index, paragraph in enumerate(paragraphs) if meant_in(term, paragraph))
            for term in terms}


def query_terms(words: Iterable[str]) -> list[str]:
    """The words and parts of one to four characters, all CJK: what the corpus lets people look for."""
    return sorted(word for word in words if len(word) <= 4 and len(_CJK.findall(word)) == len(word))


def accidental_terms(paragraphs: list[Paragraph], limit: int, seed: int) -> list[str]:
    """Up to `limit` strings of 2-4 characters found in the text but never from one word or part boundary to
    another, that jieba's dictionary holds as words (so someone might type them); drawn at random."""
    jieba.dt.check_initialized()
    aligned: dict[str, bool] = {}
    for paragraph in paragraphs:
        for run in _CJK_RUN.finditer(paragraph.text):
            for start in range(run.start(), run.end() - 1):
                for end in range(start + 2, min(start + 4, run.end()) + 1):
                    term = paragraph.text[start:end]
                    if jieba.dt.FREQ.get(term) and not aligned.get(term):
                        aligned[term] = start in paragraph.boundaries and end in paragraph.boundaries
    candidates = sorted(term for term, meant in aligned.items() if not meant)
    return sorted(random.Random(seed).sample(candidates, min(limit, len(candidates))))


# the methods, each through a real FTS5 table


@dataclass(frozen=True)
class Method:
    """A tokenisation: the text an index entry holds, and the FTS5 expression for a query term (None: no query)."""

    name: str
    document_text: Callable[[str], str]
    query: Callable[[str], str | None]


def _word_tokens(tokens: list[str]) -> list[str]:
    return [token for token in tokens if re.search(r"[^\W_]", token)]


def jieba_document(text: str) -> str:
    return " ".join(_word_tokens(jieba.lcut(normalise(text))))


def jieba_search_document(text: str) -> str:
    return " ".join(_word_tokens(jieba.lcut_for_search(normalise(text))))


def jieba_query(term: str) -> str | None:
    """The phrase of jieba's precise-mode tokens of the term, each quoted."""
    tokens = _word_tokens(jieba.lcut(normalise(term)))
    return " + ".join('"' + token.replace('"', '""') + '"' for token in tokens) or None


def bigram_query(term: str) -> str | None:
    query = parse_query(term)
    return None if query.empty else query.fts5()


BIGRAMS = Method("bigrams (ours)", index_text, bigram_query)
JIEBA = Method("jieba precise", jieba_document, jieba_query)
JIEBA_SEARCH = Method("jieba search mode", jieba_search_document, jieba_query)
METHODS = (BIGRAMS, JIEBA, JIEBA_SEARCH)


class FtsIndex:
    """An in-memory FTS5 table over space-joined tokens, tokenised as migration 0008 does; rowid = index + 1."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.connection = sqlite3.connect(":memory:")
        self.connection.execute("CREATE VIRTUAL TABLE documents USING fts5(body, "
                                "tokenize='unicode61 remove_diacritics 0')")
        with self.connection:
            self.connection.executemany("INSERT INTO documents(rowid, body) VALUES (?, ?)",
                                        ((index + 1, entry) for index, entry in enumerate(entries)))

    def find(self, expression: str | None) -> list[int]:
        """The indexes of the matching entries, best bm25 first."""
        if expression is None:
            return []
        rows = self.connection.execute("SELECT rowid FROM documents WHERE documents MATCH ? ORDER BY rank",
                                       (expression,))
        return [rowid - 1 for (rowid,) in rows]

    def size_bytes(self) -> tuple[int, int]:
        """Bytes of all the FTS5 shadow tables, and of the inverted index alone (_data and _idx)."""
        rows = dict(self.connection.execute("SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'documents%' "
                                            "GROUP BY name"))
        return sum(rows.values()), rows.get("documents_data", 0) + rows.get("documents_idx", 0)

    def close(self) -> None:
        self.connection.close()


@dataclass(frozen=True)
class MethodRun:
    """What one method found for every query term, and what its index cost."""

    method: str
    found: dict[str, list[int]]
    seconds_per_thousand: float
    tokens_per_paragraph: float
    index_bytes: int
    inverted_bytes: int


def run_method(method: Method, texts: list[str], terms: Iterable[str]) -> MethodRun:
    """Index the texts with the method (timed: tokenising and inserting) and run every term as a query."""
    started = time.process_time()  # CPU time: the machine is shared, wall time would measure the neighbours
    entries = [method.document_text(text) for text in texts]
    index = FtsIndex(entries)
    seconds = time.process_time() - started
    try:
        found = {term: index.find(method.query(term)) for term in terms}
        index_bytes, inverted_bytes = index.size_bytes()
    finally:
        index.close()
    tokens = sum(len(entry.split()) for entry in entries)
    return MethodRun(method.name, found, seconds * 1000 / len(texts), tokens / len(texts), index_bytes, inverted_bytes)


# scores


@dataclass(frozen=True)
class QueryScore:
    """Recall (None without a gold set) and precision (None when nothing was found) of one query."""

    recall: float | None
    precision: float | None


def score(found: Iterable[int], gold: frozenset[int]) -> QueryScore:
    """How much of the gold set a query found, and how much of what it found is gold."""
    found = set(found)
    hits = len(found & gold)
    return QueryScore(hits / len(gold) if gold else None, hits / len(found) if found else None)


@dataclass(frozen=True)
class ClassScores:
    """Macro averages over a class of queries; `false_hits` counts queries that found something not meant."""

    queries: int
    recall: float | None
    precision: float | None
    zero_recall: int
    false_hits: int

    @property
    def f1(self) -> float | None:
        if not self.recall or not self.precision:
            return None
        return 2 * self.recall * self.precision / (self.recall + self.precision)


def class_scores(scores: list[QueryScore]) -> ClassScores:
    """Macro recall over the queries with a gold set, macro precision over those that found something."""
    recalls = [query.recall for query in scores if query.recall is not None]
    precisions = [query.precision for query in scores if query.precision is not None]
    return ClassScores(len(scores), _mean(recalls), _mean(precisions), sum(recall == 0 for recall in recalls),
                       sum(precision < 1 for precision in precisions))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def substring_sets(texts: list[str], terms: Iterable[str]) -> dict[str, frozenset[int]]:
    """The paragraphs each term occurs in as a substring: what an exact substring search returns."""
    return {term: frozenset(index for index, text in enumerate(texts) if term in text) for term in terms}


def query_classes(words: list[str], accidental: list[str], gold: dict[str, frozenset[int]],
                  substrings: dict[str, frozenset[int]]) -> dict[str, list[str]]:
    """Words by length, all of them, the ambiguous ones (found as a substring where not meant), accidental."""
    classes = {f"{length} char{'s' * (length > 1)}": [word for word in words if len(word) == length]
               for length in (1, 2, 3, 4)}
    classes["all words"] = list(words)
    classes["ambiguous words"] = [word for word in words if substrings[word] != gold[word]]
    classes["accidental"] = list(accidental)
    return classes


def evaluate(run: MethodRun, classes: dict[str, list[str]], gold: dict[str, frozenset[int]]) -> dict:
    """The method's ClassScores for each class of queries."""
    return {name: class_scores([score(run.found[term], gold.get(term, frozenset())) for term in terms])
            for name, terms in classes.items()}


def with_ocr_noise(texts: list[str], rate: float, seed: int) -> list[str]:
    """The texts with `rate` of their characters damaged: half dropped, half replaced by a character drawn from
    the corpus (so common characters are the common substitutes, as OCR confusions tend to be)."""
    randomness = random.Random(seed)
    alphabet = [character for text in texts[:500] for character in _CJK.findall(text)]
    noisy = []
    for text in texts:
        characters = []
        for character in text:
            draw = randomness.random()
            if draw >= rate / 2:
                characters.append(randomness.choice(alphabet) if draw < rate else character)
        noisy.append("".join(characters))
    return noisy


# ranking: bigrams to find, jieba's words to order


def average_precision(ranked: list[int], gold: frozenset[int]) -> float:
    """Mean of the precision at each rank where a gold paragraph appears, over the whole gold set."""
    hits, total = 0, 0.0
    for rank, index in enumerate(ranked, start=1):
        if index in gold:
            hits += 1
            total += hits / rank
    return total / len(gold) if gold else 0.0


def precision_at(ranked: list[int], gold: frozenset[int], depth: int = 10) -> float:
    """The share of gold paragraphs among the first `depth` found (fewer found: over those found)."""
    top = ranked[:depth]
    return sum(index in gold for index in top) / len(top) if top else 0.0


def hybrid_order(ranked: list[int], preferred: Iterable[int]) -> list[int]:
    """The ranked paragraphs, those jieba also matched first, each group keeping its bm25 order."""
    preferred = set(preferred)
    return [index for index in ranked if index in preferred] + [index for index in ranked if index not in preferred]


def window_order(term: str, ranked: list[int], texts: list[str], depth: int = 20, margin: int = 8) -> list[int]:
    """The ranked paragraphs with the first `depth` (a page) reordered: first those where jieba, reading `margin`
    characters either side of an occurrence, cuts the term out as words. A hybrid without a second index."""
    page = ranked[:depth]
    return hybrid_order(page, [index for index in page if _jieba_cuts_out(term, texts[index], margin)]) + ranked[depth:]


def _jieba_cuts_out(term: str, text: str, margin: int) -> bool:
    start = text.find(term)
    while start >= 0:
        window_start = max(0, start - margin)
        window = text[window_start:start + len(term) + margin]
        cuts = {0, *itertools.accumulate(len(token) for token in jieba.lcut(window))}
        offset = start - window_start
        if offset in cuts and offset + len(term) in cuts or term in jieba.lcut_for_search(window):
            return True
        start = text.find(term, start + 1)
    return False


def ranking_scores(bigrams: MethodRun, runs: list[MethodRun], terms: list[str], gold: dict[str, frozenset[int]],
                   texts: list[str]) -> dict[str, tuple[float, float]]:
    """MAP and mean precision at 10 of bigrams' bm25 order and of each hybrid order, over terms with gold; the
    query-time hybrid's name says its CPU time per query."""
    terms = [term for term in terms if gold.get(term)]
    orders = {"bigrams, bm25": {term: bigrams.found[term] for term in terms}}
    for run in runs:
        orders[f"bigrams, {run.method} first"] = {term: hybrid_order(bigrams.found[term], run.found[term])
                                                  for term in terms}
    started = time.process_time()
    window = {term: window_order(term, bigrams.found[term], texts) for term in terms}
    milliseconds = (time.process_time() - started) * 1000 / max(1, len(terms))
    orders[f"bigrams, jieba window on page 1 ({milliseconds:.1f} ms/q)"] = window
    return {name: (_mean([average_precision(order[term], gold[term]) for term in terms]) or 0.0,
                   _mean([precision_at(order[term], gold[term]) for term in terms]) or 0.0)
            for name, order in orders.items()}


# famous ambiguities: what each method finds in a few sentences, and what a reader means

EXAMPLES = (
    (("南京市长江大桥于1968年建成通车", "南京市长江大桥主持召开全市防汛会议", "长江大桥管理处关于桥面维修的请示"),
     {"长江大桥": {0, 2}, "市长": {1}, "江大桥": {1}, "南京": {0, 1}}),
    (("研究生命起源的学术报告会", "研究生招生工作的通知", "关于研究生命安全保障措施的会议纪要"),
     {"研究生": {1}, "生命": {0, 2}, "研究": {0, 2}}),
    (("结婚的和尚未结婚的职工均可参加体检", "灵隐寺和尚参加消防安全培训", "尚未完成整改的单位要抓紧落实"),
     {"和尚": {1}, "尚未": {0, 2}, "结婚": {0}}),
)


def example_lines() -> list[str]:
    """For each example: jieba's segmentation of its sentences, then per query what each method finds."""
    lines = []
    for sentences, queries in EXAMPLES:
        for number, sentence in enumerate(sentences):
            lines.append(f"  [{number}] {sentence}  jieba: {'/'.join(jieba.lcut(sentence))}")
        for method in METHODS:
            index = FtsIndex(method.document_text(sentence) for sentence in sentences)
            for term, meant in queries.items():
                found = sorted(index.find(method.query(term)))
                verdict = "right" if set(found) == meant else "WRONG"
                lines.append(f"    {term:<6}{method.name:<20} finds {found!s:<10} meant {sorted(meant)!s:<8} "
                             f"{verdict}")
            index.close()
        lines.append("")
    return lines


# the report


def _percent(value: float | None) -> str:
    return "    -" if value is None else f"{value * 100:5.1f}"


def score_lines(title: str, results: dict[str, dict[str, ClassScores]]) -> list[str]:
    """One table: a row per class and method (recall, precision and F1 in %)."""
    lines = [title, f"  {'class':<16}{'method':<20}{'queries':>8}{'recall':>8}{'precis.':>8}{'F1':>7}"
                    f"{'0-recall':>9}{'false-hit':>10}"]
    class_names = next(iter(results.values()))
    for class_name in class_names:
        for method, classes in results.items():
            scores = classes[class_name]
            lines.append(f"  {class_name:<16}{method:<20}{scores.queries:>8}{_percent(scores.recall):>8}"
                         f"{_percent(scores.precision):>8}{_percent(scores.f1):>7}{scores.zero_recall:>9}"
                         f"{scores.false_hits:>10}")
    return lines


def cost_lines(runs: list[MethodRun], dictionary_seconds: float, characters: float) -> list[str]:
    """Tokens, FTS5 bytes and CPU time of each index; `characters` is the paragraphs' mean length."""
    lines = [f"  {'method':<20}{'tokens/par.':>12}{'FTS5 KiB':>10}{'inverted KiB':>13}{'CPU s/1,000 par.':>18}"
             f"{'docs/s at 2,000 chars':>23}"]
    for run in runs:
        documents_per_second = 1000 * characters / (run.seconds_per_thousand * 2000)
        lines.append(f"  {run.method:<20}{run.tokens_per_paragraph:>12.1f}{run.index_bytes / 1024:>10.0f}"
                     f"{run.inverted_bytes / 1024:>13.0f}{run.seconds_per_thousand:>18.2f}"
                     f"{documents_per_second:>23.0f}")
    lines.append(f"  (one core; jieba's dictionary loads once per process in {dictionary_seconds:.1f} s, not counted)")
    return lines


def ranking_lines(runs: list[MethodRun], classes: dict[str, list[str]], gold: dict[str, frozenset[int]],
                  texts: list[str]) -> list[str]:
    """MAP and P@10 of bigrams' bm25 order and of the hybrid orders, for all words and the ambiguous ones."""
    lines = [f"  {'class':<16}{'order':<52}{'MAP':>7}{'P@10':>7}"]
    for class_name in ("all words", "ambiguous words"):
        scores = ranking_scores(runs[0], runs[1:], classes[class_name], gold, texts)
        lines += [f"  {class_name:<16}{name:<52}{_percent(average):>7}{_percent(top):>7}"
                  for name, (average, top) in scores.items()]
    return lines


def missed_lines(runs: list[MethodRun], words: list[str], gold: dict[str, frozenset[int]],
                 shown: int = 15) -> list[str]:
    """Some of the word queries each method found none of the meant paragraphs for."""
    lines = []
    for run in runs:
        missed = [word for word in words if gold[word] and not gold[word] & set(run.found[word])]
        lines.append(f"  {run.method:<20}{len(missed):>4}: {' '.join(missed[:shown])}{' …' * (len(missed) > shown)}")
    return lines


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=3000)
    parser.add_argument("--accidental", type=int, default=150, help="accidental strings drawn as queries")
    parser.add_argument("--noise", type=float, default=0.02, help="share of characters damaged in the OCR run")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="500 paragraphs, 50 accidental strings")
    options = parser.parse_args(argv)
    if options.quick:
        options.paragraphs, options.accidental = 500, 50
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    started = time.perf_counter()
    jieba.dt.check_initialized()
    dictionary_seconds = time.perf_counter() - started
    lexicon = Lexicon()
    paragraphs = generate_corpus(options.paragraphs, options.seed, lexicon)
    texts = [paragraph.text for paragraph in paragraphs]
    words = query_terms(vocabulary(paragraphs, lexicon))
    accidental = accidental_terms(paragraphs, options.accidental, options.seed)
    gold = gold_sets(paragraphs, words + accidental)
    classes = query_classes(words, accidental, gold, substring_sets(texts, words))
    print(f"{len(paragraphs):,} paragraphs, {sum(map(len, texts)) / len(texts):.0f} characters each on average; "
          f"{len(words)} word queries, {len(accidental)} accidental; noise {options.noise:.0%}\n")
    clean = [run_method(method, texts, words + accidental) for method in METHODS]
    print("\n".join(score_lines("clean text", {run.method: evaluate(run, classes, gold) for run in clean})))
    costs = cost_lines(clean, dictionary_seconds, sum(map(len, texts)) / len(texts))
    print("\nindex cost (clean text)\n" + "\n".join(costs))
    noisy_texts = with_ocr_noise(texts, options.noise, options.seed)
    noisy = [run_method(method, noisy_texts, words + accidental) for method in METHODS]
    print()
    print("\n".join(score_lines(f"OCR noise ({options.noise:.0%} of characters dropped or replaced)",
                                {run.method: evaluate(run, classes, gold) for run in noisy})))
    print("\nword queries with zero recall (clean text)\n" + "\n".join(missed_lines(clean, words, gold)))
    for title, runs, run_texts in (("clean text", clean, texts), ("OCR noise", noisy, noisy_texts)):
        print(f"\nranking what bigrams find ({title})\n" + "\n".join(ranking_lines(runs, classes, gold, run_texts)))
    print("\nfamous ambiguities\n" + "\n".join(example_lines()))
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
