"""Search benchmark (issue 8): Chinese full-text search over a million items, 200,000 of them with OCR text.

    nice .venv/bin/python bench/search_bench.py [--databases sqlite,postgresql] [--work DIR] [--quick]

One fonds of 1,000,000 items (the catalogue benchmark's: 20 years × 3 retentions × 10 departments, filed through the
CSV import, which indexes their fields); `--text-items` of them get two pages of generated official-document text
(~2,000 characters in all) as their OCR derivatives, inserted in bulk. The index is then built through the real
paths, as `dangan search reindex` does it (a process per core, batches of 500 per transaction): every item without
text (timed: items/s), then the items with text (timed: documents/s). Then ~100 queries per kind go through `search`
as a signed-in archivist, first page of 20 with facets, after as many other queries of the kind (untimed, so the
index is in memory as on a box in use). Targets: p95 ≤ 100 ms for 2- and 4-character queries with a
facet filter, indexing ≥ 500 documents/s. `--work DIR` keeps the built SQLite home (and, with --database-url, the
PostgreSQL build) and reuses it, with the indexing figures measured when it was built; `--measure-indexing N`
measures them again on the reused build, over N items of each kind (the text items' entries dropped and made again).
"""
# ruff: noqa: E402  (the repository root goes on sys.path first, for tests.support and bench)

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse
import contextlib
import dataclasses
import datetime
import hashlib
import json
import os
import random
import shutil
import statistics
import tempfile
import time

from sqlalchemy import func, select, text

from appliance.adapters.db.tables import BlobRow, DerivativeRow, ItemPageRow, ItemRow
from appliance.adapters.tables import read_rows
from appliance.bootstrap import build_appliance
from appliance.config import Config, DatabaseConfig
from appliance.domain.access import EVERYTHING
from appliance.domain.jobs import PAGE_OCR
from appliance.domain.permissions import allowed_actions
from appliance.domain.search_text import SearchFilter, SearchSort
from appliance.domain.sessions import Principal
from appliance.search_wiring import index_in_processes
from appliance.services.catalogue_import import import_catalogue
from appliance.services.search import SearchPage, search
from bench.catalogue_bench import ACTOR, CSV_FONDS, FIRST_YEAR, YEARS, register_fonds
from bench.catalogue_data import DEPARTMENTS, SUBJECTS, CatalogueShape, write_catalogue_csv
from bench.measures import Figure, Stopwatch, format_table, latency_figures, load_note, percentile, progress
from bench.results_file import RESULTS_DIR, write_named_results

DATABASES = ("sqlite", "postgresql")
SEED = 88
TARGET_MS, TARGET_RATE = 100, 500
ARCHIVIST = Principal("bench.archivist", "bench archivist", frozenset({"archivist"}), allowed_actions(["archivist"]),
                      EVERYTHING, "127.0.0.1")
BUILD_VERSION = 1  # bump when the corpus changes, so an old --work home is rebuilt
PROCESSES = os.cpu_count() or 1  # as `dangan search reindex` runs

# The corpus: words drawn with Zipf weights (a few in most documents, the tail in few), rare words in ~0.2 %.
KEYWORDS = ("档案", "预算", "审计", "培训", "考核", "招标", "安全", "消防", "防汛", "信访", "环保", "绿化", "水利",
            "养老", "教育", "医疗", "交通", "税务", "统计", "保密", "土地", "住房", "社保", "就业", "粮食", "林业",
            "气象", "扶贫", "旅游", "体育", "文物", "人防", "邮政", "殡葬", "侨务", "口岸", "盐业", "地震", "蚕桑",
            "渔政")
TOPICS = ("安全生产", "财务预算", "人员招聘", "信息化建设", "节能减排", "政府采购", "网络安全", "防汛抗旱",
          "政务公开", "绩效考核", "保密工作", "内部审计", "合同管理", "信访维稳", "科技创新", "乡村振兴",
          "垃圾分类", "河道治理", "食品安全", "社区养老", "文物保护", "招商引资", "城市绿化", "义务教育",
          "医疗保障", "交通整治", "植树造林", "森林防火", "粮食储备", "地质灾害")
RARE_WORDS = ("冰雹", "蝗虫", "沙尘", "鼠疫", "青石古镇", "梧桐湖区", "滨江大桥", "白鹭公园")
GENERIC_WORDS = ("工作", "通知", "单位", "落实", "加强管理", "贯彻落实", "有关事项", "认真组织")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"
PLACES = ("各区县人民政府", "市政府各部门", "各直属单位", "各乡镇人民政府、街道办事处", "局机关各处室")
LAWS = ("中华人民共和国档案法", "中华人民共和国安全生产法", "党政机关公文处理工作条例", "机关档案工作规定",
        "中华人民共和国预算法", "中华人民共和国政府采购法")
KINDS = ("通知", "决定", "报告", "请示", "批复", "意见", "通报", "函")
SENTENCES = (
    "为进一步加强{topic}工作，根据《{law}》和上级有关要求，结合{unit}实际，现就有关事项{kind}如下。",
    "各单位要高度重视{keyword}工作，切实加强组织领导，明确责任分工，确保各项措施落到实处。",
    "{year}年{month}月{day}日，{unit}召开{keyword}专题会议，研究部署{topic}有关工作。",
    "经研究，同意{keyword}项目实施方案，所需经费{amount}万元从{year}年度{keyword2}预算中列支。",
    "截至{month}月底，全市共完成{keyword}任务{number}项，完成率{percent}%，同比提高{small}个百分点。",
    "{keyword}和{keyword2}工作中存在的主要问题：一是思想认识不到位；二是工作机制不健全；三是经费保障不足。",
    "请于{month}月{day}日前将{topic}落实情况报送{unit}，联系人：{name}，电话：0571-8{phone}。",
    "对在{keyword}工作中表现突出的单位和个人予以通报表扬，对工作不力的单位予以批评并责令限期整改。",
    "（一）加强{keyword}队伍建设。（二）完善{topic}制度体系。（三）强化{keyword2}监督检查。",
    "你单位《关于{topic}有关问题的请示》收悉。经研究，现批复如下：原则同意你单位所报{keyword}方案。",
    "要坚持问题导向，深入开展{keyword}领域风险隐患排查，建立问题清单，实行销号管理。",
    "{topic}是一项系统工程，涉及{keyword}、{keyword2}等多个方面，各有关部门要密切配合，形成工作合力。",
    "本年度共受理{keyword}相关来信来访{number}件次，办结率{percent}%，群众满意度进一步提升。",
    "各地要将{keyword}工作纳入年度目标责任制考核，考核结果作为评先评优的重要依据。",
)
CLOSINGS = ("特此通知。", "以上报告，请审阅。", "妥否，请批示。", "此复。", "特此决定。")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--text-items", type=int, default=200_000, help="items with ~2,000 characters of OCR text")
    parser.add_argument("--queries", type=int, default=100, help="timed searches per kind of query")
    parser.add_argument("--budget", type=float, default=900,
                        help="seconds one kind of query may take; a slower kind stops early (its queries are in "
                             "random order, so what ran is still a random sample)")
    parser.add_argument("--databases", default="sqlite,postgresql", type=_database_list)
    parser.add_argument("--database-url", help="PostgreSQL to use instead of a private throw-away cluster")
    parser.add_argument("--work", type=Path, help="keep the built homes here and reuse them")
    parser.add_argument("--quick", action="store_true", help="20,000 items, 4,000 with text, 20 queries per kind")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-search.*")
    parser.add_argument("--measure-indexing", type=int, metavar="N", default=0,
                        help="on a reused build, measure indexing again over N items with text and N without, "
                             "instead of quoting the build's figures")
    options = parser.parse_args(argv)
    if options.quick:
        options.items, options.text_items, options.queries = 20_000, 4_000, 20
    return options


def _database_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names or any(name not in DATABASES for name in names):
        raise argparse.ArgumentTypeError(f"databases must be among {', '.join(DATABASES)}, not {value!r}")
    return names


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    work = options.work or Path(tempfile.mkdtemp(prefix="dangan-search-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = {database: run_database(database, work, options) for database in options.databases}
    finally:
        if options.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report = format_table(results) + load_note()
    print()
    print(report)
    if not options.no_results and not options.quick:
        print(f"results written to {write_results(results, options)}")
    verdicts = [figure.verdict for figures in results.values() for figure in figures]
    return 1 if "MISS" in verdicts else 0


def run_database(database: str, work: Path, options: argparse.Namespace) -> list[Figure]:
    progress(f"=== {database}")
    marker = work / f"{database}-built.json"
    if database == "sqlite" and not _marker_matches(marker, options):
        shutil.rmtree(work / "sqlite-home", ignore_errors=True)  # an older build, or none: start afresh
    with database_url(database, options.database_url) as url:
        appliance = build_appliance(Config(home=work / f"{database}-home", database=DatabaseConfig(url=url)))
        try:
            figures = build(appliance, marker, options)
            return figures + measure_searches(appliance, options)
        finally:
            appliance.close()


@contextlib.contextmanager
def database_url(database: str, given_url: str | None):
    """SQLite under the home, the PostgreSQL given, or a fresh database in a private cluster."""
    if database == "sqlite":
        yield ""
    elif given_url:
        yield given_url
    else:
        from tests.support.postgres import start_postgres

        server = start_postgres()
        try:
            server.execute("CREATE DATABASE bench")
            yield server.url("bench")
        finally:
            server.stop()


# building the catalogue, the OCR texts and the index


def build(appliance, marker: Path, options: argparse.Namespace) -> list[Figure]:
    """The catalogue, the texts and the index, unless the marker says this database already holds them; returns
    the figures measured while indexing (those of the build, when it is reused)."""
    if _marker_matches(marker, options) and _item_count(appliance) == options.items:
        if options.measure_indexing:
            return _remember(marker, options, measure_indexing_again(appliance, options.measure_indexing))
        progress(f"reusing the build in {marker.parent} ({options.items:,} items, indexing figures from then)")
        return [Figure(**figure) for figure in json.loads(marker.read_text())["figures"]]
    marker.unlink(missing_ok=True)
    if _item_count(appliance):
        raise RuntimeError("the database already holds items, and not this bench's build: give an empty one")
    shape = CatalogueShape(CSV_FONDS[0], FIRST_YEAR, YEARS, options.items)
    import_items(appliance, shape, marker.parent)
    text_ids = add_texts(appliance, options.text_items)
    figures = [measure_reindex(appliance, sorted(set(_all_ids(appliance)) - set(text_ids)))]
    figures += measure_text_indexing(appliance, text_ids)
    return _remember(marker, options, figures)


def _remember(marker: Path, options: argparse.Namespace, figures: list[Figure]) -> list[Figure]:
    built = {**_build_settings(options), "figures": [dataclasses.asdict(figure) for figure in figures]}
    marker.write_text(json.dumps(built, ensure_ascii=False, indent=2))
    return figures


def measure_indexing_again(appliance, sample: int) -> list[Figure]:
    """On a reused build: `sample` items without text indexed again, then the entries of `sample` items with text
    dropped and made again (into the index of all the others: what indexing costs at this size)."""
    chooser = random.Random(SEED)
    every_text_id = _text_ids(appliance)
    text_ids = sorted(chooser.sample(every_text_id, min(sample, len(every_text_id))))
    others = sorted(set(_all_ids(appliance)) - set(every_text_id))
    figures = [measure_reindex(appliance, sorted(chooser.sample(others, min(sample, len(others)))))]
    with appliance.uow_factory() as uow:
        for item_id in text_ids:
            uow.search.remove(item_id)
        uow.commit()
    settle(appliance.engine)
    rate, _, size = measure_text_indexing(appliance, text_ids)  # growth means nothing where entries were dropped
    return [*figures, rate, size]


def _all_ids(appliance) -> list[int]:
    with appliance.engine.connect() as connection:
        return list(connection.scalars(select(ItemRow.id).order_by(ItemRow.id)))


def _text_ids(appliance) -> list[int]:
    with appliance.engine.connect() as connection:
        return list(connection.scalars(select(ItemPageRow.item_id).distinct().order_by(ItemPageRow.item_id)))


def _build_settings(options: argparse.Namespace) -> dict:
    return {"version": BUILD_VERSION, "items": options.items, "text_items": options.text_items}


def _marker_matches(marker: Path, options: argparse.Namespace) -> bool:
    if not marker.exists():
        return False
    built = json.loads(marker.read_text())
    return all(built.get(key) == value for key, value in _build_settings(options).items())


def _item_count(appliance) -> int:
    with appliance.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ItemRow))


def import_items(appliance, shape: CatalogueShape, work: Path) -> None:
    """Fonds Z109 and its items through the real CSV import (which does not index: an import is reindexed)."""
    csv_path = work / f"search-catalogue-{shape.items}.csv"
    with Stopwatch() as watch:
        write_catalogue_csv(csv_path, shape)
        register_fonds(appliance.uow_factory, *CSV_FONDS)
        report = import_catalogue(appliance.uow_factory, appliance.blob_store, ACTOR, csv_path, read_rows(csv_path))
    csv_path.unlink()
    if report.items != shape.items:
        raise RuntimeError(f"the import filed {report.items} items, expected {shape.items}")
    progress(f"catalogue of {shape.items:,} items imported in {watch.seconds:.0f} s")


def measure_reindex(appliance, item_ids: list[int]) -> Figure:
    """The items without text indexed as `dangan search reindex` does: a process per core."""
    with Stopwatch() as watch:
        done = index_in_processes(appliance.config, item_ids, PROCESSES)
    progress(f"reindex (catalogue fields): {done:,} items in {watch.seconds:.0f} s = {done / watch.seconds:,.0f}/s")
    return Figure("reindex, catalogue fields only", done / watch.seconds, "items/s",
                  note=f"{done:,} items, {watch.seconds:.0f} s")


def add_texts(appliance, count: int) -> list[int]:
    """Two pages with OCR text for `count` items chosen at random, inserted in bulk; returns their ids in order."""
    with appliance.engine.connect() as connection:
        rows = connection.execute(select(ItemRow.id, ItemRow.title, ItemRow.doc_number, ItemRow.responsible,
                                         ItemRow.date).order_by(ItemRow.id)).all()
    chooser = random.Random(SEED)
    chosen = sorted(chooser.sample(rows, count))
    with Stopwatch() as watch:
        for start in range(0, len(chosen), 2000):
            with appliance.engine.begin() as connection:
                documents = [(row, document_pages(chooser, *row[1:])) for row in chosen[start:start + 2000]]
                _insert_pages(connection, documents)
    progress(f"OCR texts of {count:,} items generated and inserted in {watch.seconds:.0f} s")
    return [row.id for row in chosen]


def _insert_pages(connection, documents: list[tuple]) -> None:
    now = datetime.datetime.now(datetime.UTC)
    blobs, pages, derivatives = [], [], []
    for row, page_texts in documents:
        for sequence, page_text in enumerate(page_texts, start=1):
            digest = hashlib.sha256(f"search bench page {row.id}/{sequence}".encode()).hexdigest()
            blobs.append({"sha256": digest, "sm3": digest, "size": 250_000, "media_type": "image/jpeg",
                          "created_at": now, "purged_at": None})
            pages.append({"item_id": row.id, "sequence": sequence, "blob_sha256": digest})
            derivatives.append({"source_sha256": digest, "kind": PAGE_OCR, "generator": "tesseract/bench",
                                "blob_sha256": None, "text": page_text, "created_at": now})
    connection.execute(BlobRow.__table__.insert(), blobs)
    connection.execute(ItemPageRow.__table__.insert(), pages)
    connection.execute(DerivativeRow.__table__.insert(), derivatives)


def measure_text_indexing(appliance, item_ids: list[int]) -> list[Figure]:
    """index_items over the items with text, a batch per transaction as reindex does, and what the index grew by."""
    before = index_size(appliance.engine)
    with Stopwatch() as watch:
        index_in_processes(appliance.config, item_ids, PROCESSES)
    rate = len(item_ids) / watch.seconds
    progress(f"indexing OCR text: {len(item_ids):,} documents in {watch.seconds:.0f} s = {rate:,.0f}/s "
             f"({PROCESSES} processes)")
    settle(appliance.engine)
    after = index_size(appliance.engine)
    grown = (after["total"] - before["total"]) / len(item_ids)
    parts = ", ".join(f"{name} {size / 1e6:,.0f} MB" for name, size in after.items() if name != "total")
    progress(f"index size: {after['total'] / 1e6:,.0f} MB ({parts})")
    return [Figure("indexing OCR text (index_items)", rate, "docs/s", TARGET_RATE, at_least=True,
                   note=f"{len(item_ids):,} documents of ~2,000 characters, {watch.seconds:.0f} s, "
                        f"{PROCESSES} processes"),
            Figure("index growth per document with text", grown / 1000, "KB",
                   note=f"{before['total'] / 1e6:,.0f} MB with the fields only, {after['total'] / 1e6:,.0f} MB after"),
            Figure("index size per item (all items)", after["total"] / _indexed_entries(appliance) / 1000, "KB",
                   note=parts)]


def settle(engine) -> None:
    """PostgreSQL: VACUUM ANALYZE search_index, as autovacuum soon would after so many inserts (GIN pending lists
    merged, statistics for the planner). SQLite's FTS5 merges its segments as it goes."""
    if engine.dialect.name != "postgresql":
        return
    with Stopwatch() as watch, engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE search_index"))
        connection.execute(text("ANALYZE items"))
    progress(f"VACUUM ANALYZE search_index in {watch.seconds:.0f} s")


def index_size(engine) -> dict[str, int]:
    """Bytes of the index: FTS5's shadow tables (dbstat), or the table, its TOAST and its GIN indexes."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            sizes = dict(connection.execute(text(
                "SELECT 'table and TOAST', pg_table_size('search_index') UNION ALL "
                "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname LIKE 'ix_search_index_%'")).all())
            sizes["total"] = connection.scalar(text("SELECT pg_total_relation_size('search_index')"))
        else:
            sizes = dict(connection.execute(text(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'search_index%' GROUP BY name")).all())
            sizes["total"] = sum(sizes.values())
    return sizes


def _indexed_entries(appliance) -> int:
    with appliance.engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM search_index"))


# the generated official documents


def _zipf_cumulative(count: int, exponent: float = 1.1) -> list[float]:
    total, cumulative = 0.0, []
    for rank in range(1, count + 1):
        total += rank ** -exponent
        cumulative.append(total)
    return cumulative


KEYWORD_WEIGHTS, TOPIC_WEIGHTS = _zipf_cumulative(len(KEYWORDS)), _zipf_cumulative(len(TOPICS))
RARE_CHANCE = 0.002


def document_pages(chooser: random.Random, title: str, doc_number: str, responsible: str,
                   date: str) -> tuple[str, str]:
    """An official document of about 2,000 characters on two pages: header, 文号, title, body, signature, date."""
    topic = chooser.choices(TOPICS, cum_weights=TOPIC_WEIGHTS)[0]
    keywords = chooser.choices(KEYWORDS, cum_weights=KEYWORD_WEIGHTS, k=6)
    rare = [word for word in RARE_WORDS if chooser.random() < RARE_CHANCE]
    lines = [f"{responsible}文件", doc_number, title, f"{chooser.choice(PLACES)}："]
    wanted, length = chooser.randint(1800, 2200), 0
    while length < wanted:
        sentence = _sentence(chooser, topic, keywords, responsible, date)
        if rare and chooser.random() < 0.1:
            sentence = f"{rare.pop()}{sentence}"
        lines.append(sentence)
        length += len(sentence)
    year, month, day = int(date[:4]), int(date[4:6]), int(date[6:])
    lines += [chooser.choice(CLOSINGS), responsible, f"{year}年{month}月{day}日", f"（联系人：{_name(chooser)}）"]
    middle = len(lines) // 2
    return "\n".join(lines[:middle]), "\n".join(lines[middle:])


def _sentence(chooser: random.Random, topic: str, keywords: list[str], unit: str, date: str) -> str:
    return chooser.choice(SENTENCES).format(
        topic=topic if chooser.random() < 0.7 else chooser.choice(TOPICS), keyword=chooser.choice(keywords),
        keyword2=chooser.choice(keywords), law=chooser.choice(LAWS), unit=unit, kind=chooser.choice(KINDS),
        year=date[:4], month=chooser.randint(1, 12), day=chooser.randint(1, 28), amount=chooser.randint(5, 900),
        number=chooser.randint(3, 400), percent=chooser.randint(80, 100), small=chooser.randint(1, 9),
        name=_name(chooser), phone=chooser.randint(1_000_000, 9_999_999))


def _name(chooser: random.Random) -> str:
    return chooser.choice(SURNAMES) + "".join(chooser.choices(GIVEN, k=chooser.randint(1, 2)))


# the searches


@dataclasses.dataclass(frozen=True)
class QueryKind:
    name: str
    terms: tuple[str, ...]
    filtered: bool
    target_ms: float | None
    sort: SearchSort = SearchSort.RELEVANCE


def _words(length: int, *groups: tuple[str, ...]) -> tuple[str, ...]:
    """The distinct words of that many characters: queries pick among them evenly, common and rare alike."""
    return tuple(dict.fromkeys(word for group in groups for word in group if len(word) == length))


TWO_CHARACTER_TERMS = _words(2, KEYWORDS, RARE_WORDS, GENERIC_WORDS)
FOUR_CHARACTER_TERMS = _words(4, TOPICS, RARE_WORDS, GENERIC_WORDS, SUBJECTS)
ONE_CHARACTER_TERMS = _words(1, tuple("".join(KEYWORDS)))
QUERY_KINDS = (
    QueryKind("2-char + facet", TWO_CHARACTER_TERMS, True, TARGET_MS),
    QueryKind("4-char + facet", FOUR_CHARACTER_TERMS, True, TARGET_MS),
    QueryKind("2-char, no filter", TWO_CHARACTER_TERMS, False, None),
    QueryKind("4-char, no filter", FOUR_CHARACTER_TERMS, False, None),
    QueryKind("1-char + facet", ONE_CHARACTER_TERMS, True, None),
    QueryKind("2-char + facet, by date", TWO_CHARACTER_TERMS, True, None, SearchSort.DATE),
    QueryKind("2-char, no filter, by date", TWO_CHARACTER_TERMS, False, None, SearchSort.DATE),
)


def measure_searches(appliance, options: argparse.Namespace) -> list[Figure]:
    """Each kind of query in turn: p50 and p95 of `search` (first page of 20, facets) as the archivist."""
    figures = []
    for number, kind in enumerate(QUERY_KINDS):
        _warm(appliance, kind, _queries(kind, random.Random(-SEED - number), options.queries), options.budget / 4)
        figures += timed_searches(appliance, kind, _queries(kind, random.Random(SEED + number), options.queries),
                                  options.budget)
    return figures


def _queries(kind: QueryKind, chooser: random.Random, count: int) -> list[tuple[str, SearchFilter]]:
    return [(chooser.choice(kind.terms), _facet_filter(chooser) if kind.filtered else SearchFilter())
            for _ in range(count)]


def _facet_filter(chooser: random.Random) -> SearchFilter:
    if chooser.random() < 0.5:
        return SearchFilter(year=chooser.randrange(FIRST_YEAR, FIRST_YEAR + YEARS))
    return SearchFilter(department=chooser.choice(list(DEPARTMENTS)))


def timed_searches(appliance, kind: QueryKind, queries: list[tuple[str, SearchFilter]],
                   budget: float) -> list[Figure]:
    samples, totals, started = [], [], time.perf_counter()
    for term, search_filter in queries:
        with Stopwatch() as watch:
            found = _search(appliance, term, search_filter, kind.sort)
        samples.append((watch.seconds * 1000, term, search_filter, found.total))
        totals.append(found.total)
        if time.perf_counter() - started > budget:
            break
    slowest = sorted(samples, key=lambda sample: sample[0])[-3:]
    progress(f"{kind.name}: {len(samples)} queries, p95 {percentile([s[0] for s in samples], 0.95):,.0f} ms; "
             f"slowest: " + "; ".join(f"{term} {_filter_text(f)} {ms:,.0f} ms ({total:,} found)"
                                      for ms, term, f, total in reversed(slowest)))
    figures = latency_figures(f"search {kind.name}", [sample[0] for sample in samples], kind.target_ms or 0,
                              "p95" if kind.target_ms else "", (0.50, 0.95))
    note = (f"{len(samples)} queries; items found: median {statistics.median(totals):,.0f}, "
            f"max {max(totals):,}; page of 20 with facets")
    return [figures[0], dataclasses.replace(figures[1], note=note)]


def _warm(appliance, kind: QueryKind, queries: list[tuple[str, SearchFilter]], budget: float) -> None:
    """Other queries of the kind first, not counted: the figures are for a box that has been searching (its index
    read into memory), not for the first searches after something else filled the caches, which on PostgreSQL,
    with the index larger than shared_buffers, were up to 50 ms slower for queries finding 20,000 or more."""
    started = time.perf_counter()
    for term, search_filter in queries:
        _search(appliance, term, search_filter, kind.sort)
        if time.perf_counter() - started > budget:
            break


def _search(appliance, term: str, search_filter: SearchFilter, sort: SearchSort):
    return search(appliance.uow_factory, ARCHIVIST, term, search_filter, sort, SearchPage(limit=20))


def _filter_text(search_filter: SearchFilter) -> str:
    return f"year={search_filter.year}" if search_filter.year else (
        f"department={search_filter.department}" if search_filter.department else "(no filter)")


# the results file


def write_results(results: dict[str, list[Figure]], options: argparse.Namespace) -> Path:
    """Today's search results; a database not run this time keeps its figures from an earlier run today."""
    previous = RESULTS_DIR / f"{datetime.date.today().isoformat()}-search.json"
    merged = {}
    if previous.exists():
        for figure in json.loads(previous.read_text())["figures"]:
            database, _, name = figure["name"].partition(": ")
            if database not in results:
                fields = {key: figure[key] for key in ("value", "unit", "target", "at_least", "note")}
                merged.setdefault(database, []).append(Figure(name, **fields))
    merged.update(results)
    figures = [dataclasses.replace(figure, name=f"{database}: {figure.name}")
               for database, database_figures in merged.items() for figure in database_figures]
    settings = {"items": options.items, "text_items": options.text_items, "queries": options.queries,
                "databases": list(merged)}
    return write_named_results("search", settings, figures, format_table(merged) + load_note())


if __name__ == "__main__":
    sys.exit(main())
