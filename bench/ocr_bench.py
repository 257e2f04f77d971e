"""OCR benchmark: our recognise_page in a process pool against the raw tesseract CLI on the same pages.

    .venv/bin/python bench/ocr_bench.py [--pages 8] [--rounds 4] [--quick] [--languages chi_sim]

N A4 pages of Chinese official-document text are rendered at 300 dpi (appliance.adapters.sample_batch). Baseline:
the tesseract CLI, one process per core with OMP_THREAD_LIMIT=1, asked for the same outputs and settings our path
uses (txt pdf tsv, --dpi, enable_noise_removal=0) on PNG files already on disk. Ours: recognise_page driven as the
worker drives it, a ProcessPoolExecutor of one process per core fed the PNG bytes (pickling, image decode, temp
files, tesseract, reading the outputs, text clean-up all included; the pool is started before the clock). The two
alternate (ABBA) over the rounds so that neither always runs on a warmer machine; CPU seconds per page are counted
too, as the machine may be shared. Also: seconds per page one at a time, and the character error rate of our text.
Writes bench/results/<date>-ocr.json and .txt.
"""
# ruff: noqa: E402  (the repository root goes on sys.path first, for tests.support and bench)

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse
import datetime
import functools
import io
import json
import os
import random
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from appliance.adapters.ocr import (
    OCR_LANGUAGES,
    OUTPUTS,
    TESSERACT_SETTINGS,
    check_ocr_available,
    generator_version,
    recognise_page,
)
from appliance.adapters.sample_batch import render_text_page
from bench.measures import Figure, Stopwatch, load_note, progress
from bench.results_file import RESULTS_DIR, machine, source_state
from tests.support.text_similarity import character_error_rate

RESOLUTION = 300
SEED = 11
HEADINGS = ["滨江市档案局文件", "滨档发〔2011〕5号", "关于进一步加强机关档案工作的意见", "滨江市人民政府办公室文件",
            "办发〔2012〕27号", "关于印发《电子文件归档管理办法》的通知"]
PARAGRAPHS = [
    "根据《机关档案管理规定》（国家档案局令第13号）和《归档文件整理规则》（DA/T 22-2015），"
    "结合本单位实际，制定本办法。",
    "本办法自2012年1月1日起施行，原《文书档案管理暂行办法》（办发〔2008〕7号）同时废止。",
    "各部门应当在每年6月30日前，将上一年度形成的文件材料整理归档，移交综合档案室集中保管。",
    "电子文件应当以PDF/A格式归档，元数据符合GB/T 18894-2016的要求，并通过真实性、完整性、可用性和安全性检测。",
    "The Archives Bureau will hold a training course on digital preservation from 10 to 12 May 2011.",
    "联系人：王明，电话：0571-87012345，电子邮箱：archive@example.gov.cn。",
    "会议听取了市档案局关于2010年度工作情况的汇报，研究部署了2011年重点工作任务。",
    "抄送：市委办公室，市人大常委会办公室，市政协办公室。",
    "附件：1.档案工作检查评分表 2.自查报告提纲（Word版）",
    "经费预算为人民币15.6万元，其中设备购置费8.2万元，数字化加工费7.4万元。",
    "各区县人民政府、市政府各部门要高度重视档案安全工作，落实防火、防盗、防潮、防虫等措施，确保档案实体安全。",
    "对检查中发现的问题，要认真分析原因，明确整改责任和时限，于2011年10月31日前将整改情况书面报送市档案局。",
]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=8, help="rendered A4 pages (default 8)")
    parser.add_argument("--rounds", type=int, default=4, help="timed rounds of baseline and ours (default 4)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="processes at a time (default: cores)")
    parser.add_argument("--languages", default=None, help="tesseract languages (default: the adapter's)")
    parser.add_argument("--quick", action="store_true", help="a tiny run: 2 pages, 1 round, no results file")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-ocr.*")
    options = parser.parse_args(argv)
    if options.quick:
        options.pages, options.rounds, options.no_results = 2, 1, True
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    languages = options.languages or OCR_LANGUAGES
    problems = check_ocr_available(languages)
    if problems:
        print("OCR is not available: " + "; ".join(problems), file=sys.stderr)
        return 2
    pages = sample_pages(options.pages)
    progress(f"{len(pages)} pages rendered at {RESOLUTION} dpi; {generator_version(languages)}")
    with tempfile.TemporaryDirectory(prefix="dangan-ocr-bench-") as directory:
        paths = write_pages(pages, Path(directory))
        figures = single_figures(pages, paths, languages)
        figures += parallel_figures(pages, paths, languages, options)
    report = format_report(figures) + load_note()
    print("\n" + report)
    if not options.no_results:
        print(f"results written to {write_results(figures, report, options, languages)}")
    return 0 if all(figure.verdict != "MISS" for figure in figures) else 1


class SamplePage:
    def __init__(self, lines: list[str]):
        self.reference = "\n".join(lines)
        buffer = io.BytesIO()
        render_text_page(lines, dpi=RESOLUTION).save(buffer, "PNG", dpi=(RESOLUTION, RESOLUTION))
        self.png = buffer.getvalue()


def sample_pages(count: int) -> list[SamplePage]:
    """Pages of a heading and seven paragraphs (~18 printed lines, ~500 characters), chosen at random, seeded."""
    chooser = random.Random(SEED)
    return [SamplePage([chooser.choice(HEADINGS), *chooser.sample(PARAGRAPHS, 7)]) for _ in range(count)]


def write_pages(pages: list[SamplePage], directory: Path) -> list[Path]:
    paths = [directory / f"page-{number:03d}.png" for number in range(len(pages))]
    for page, path in zip(pages, paths, strict=True):
        path.write_bytes(page.png)
    return paths


def cli_page(path: Path, languages: str, outputs: tuple[str, ...] = OUTPUTS) -> None:
    """The baseline: the bare tesseract CLI on a file, one thread, writing its outputs next to the input."""
    settings = [argument for setting in TESSERACT_SETTINGS for argument in ("-c", setting)]
    arguments = ["tesseract", str(path), str(path.with_suffix("")), "-l", languages, "--dpi", str(RESOLUTION),
                 *settings, *outputs]
    subprocess.run(arguments, check=True, capture_output=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})


def single_figures(pages: list[SamplePage], paths: list[Path], languages: str) -> list[Figure]:
    """Seconds per page, one page at a time: the CLI with our outputs, the CLI with txt only, and ours."""
    with Stopwatch() as cli:
        for path in paths:
            cli_page(path, languages)
    with Stopwatch() as cli_text:
        for path in paths:
            cli_page(path, languages, ("txt",))
    with Stopwatch() as ours:
        results = [recognise_page(page.png, languages=languages) for page in pages]
    count = len(pages)
    progress(f"one at a time: CLI {cli.seconds / count:.2f} s/page, ours {ours.seconds / count:.2f} s/page")
    pairs = [(page.reference, result.text) for page, result in zip(pages, results, strict=True)]
    normalised = [character_error_rate(reference, text) for reference, text in pairs]
    raw = [character_error_rate(reference, text, normalise=False) for reference, text in pairs]
    return [
        Figure("CLI one at a time (txt pdf tsv)", cli.seconds / count, "s/page"),
        Figure("CLI one at a time (txt only)", cli_text.seconds / count, "s/page"),
        Figure("recognise_page one at a time", ours.seconds / count, "s/page"),
        Figure("character error rate, mean", 100 * sum(normalised) / count, "%",
               note="whitespace ignored; full/half-width punctuation, brackets, quotes, dashes folded"),
        Figure("character error rate, worst page", 100 * max(normalised), "%", 5),
        Figure("character error rate raw, mean", 100 * sum(raw) / count, "%", note="only whitespace ignored"),
    ]


def parallel_figures(pages: list[SamplePage], paths: list[Path], languages: str, options) -> list[Figure]:
    """Pages per minute with one process per core, and CPU seconds per page, the contenders alternating ABBA."""
    spent = {"cli": [0.0, 0.0], "ours": [0.0, 0.0]}  # wall seconds, CPU seconds
    with ProcessPoolExecutor(max_workers=options.workers) as pool:
        list(pool.map(check_ocr_available, [languages] * options.workers))  # start and import before the clock
        for round_number in range(options.rounds):
            order = ("cli", "ours") if round_number % 2 == 0 else ("ours", "cli")
            for contender in order:
                wall, cpu = timed_round(contender, pool, pages, paths, languages, options.workers)
                progress(f"round {round_number + 1} {contender}: {len(pages)} pages in {wall:.1f} s "
                          f"({cpu:.1f} CPU s)")
                spent[contender][0] += wall
                spent[contender][1] += cpu
    total = len(pages) * options.rounds
    (cli_wall, cli_cpu), (ours_wall, ours_cpu) = spent["cli"], spent["ours"]
    note = f"{options.workers} processes, {total} pages over {options.rounds} rounds"
    return [
        Figure("CLI in parallel (txt pdf tsv)", 60 * total / cli_wall, "pages/min", note=note),
        Figure("recognise_page in a process pool", 60 * total / ours_wall, "pages/min", note=note),
        Figure("throughput ratio, ours / CLI", cli_wall / ours_wall, "", 0.9, at_least=True),
        Figure("CPU per page, CLI", cli_cpu / total, "s/page", note="tesseract processes and the bench process"),
        Figure("CPU per page, ours", ours_cpu / total, "s/page",
               note="pool workers with their tesseract children, and the bench process"),
        Figure("CPU ratio, CLI / ours", cli_cpu / ours_cpu, "", 0.9, at_least=True,
               note="what the throughput ratio would be on otherwise idle cores"),
    ]


def timed_round(contender: str, pool, pages, paths, languages: str, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds of one contender on every page."""
    pids = list(pool._processes)  # the workers: their CPU (and their reaped tesseracts') is read from /proc
    cpu_before = _own_cpu() + _workers_cpu(pids)
    with Stopwatch() as watch:
        if contender == "cli":
            run_cli_in_parallel(paths, languages, workers)
        else:
            list(pool.map(functools.partial(recognise_page, languages=languages), [page.png for page in pages]))
    return watch.seconds, _own_cpu() + _workers_cpu(pids) - cpu_before


def _own_cpu() -> float:
    times = os.times()  # this process, and the tesseract processes it ran and reaped (the CLI baseline)
    return times.user + times.system + times.children_user + times.children_system


def _workers_cpu(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def run_cli_in_parallel(paths: list[Path], languages: str, workers: int) -> None:
    # Threads only wait on the tesseract processes; `workers` of those run at a time.
    with ThreadPoolExecutor(max_workers=workers) as threads:
        list(threads.map(lambda path: cli_page(path, languages), paths))


def format_report(figures: list[Figure]) -> str:
    lines = [f"{'figure':<40} {'value':>18} {'target':>8}  verdict", "-" * 78]
    for figure in figures:
        target = "" if figure.target is None else f"{'≥' if figure.at_least else '≤'} {figure.target:g}"
        lines.append(f"{figure.name:<40} {figure.value:>8.2f} {figure.unit:<9} {target:>8}  {figure.verdict}")
        if figure.note:
            lines.append(f"{'':<3}({figure.note})")
    return "\n".join(lines)


def write_results(figures: list[Figure], report: str, options, languages: str) -> Path:
    """Today's bench/results/<date>-ocr.json (figures and settings) and .txt (the printed table); a rerun replaces."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{datetime.date.today().isoformat()}-ocr.json"
    document = {
        "date": datetime.date.today().isoformat(),
        "settings": {"pages": options.pages, "rounds": options.rounds, "workers": options.workers,
                     "resolution": RESOLUTION, "languages": languages, "generator": generator_version(languages)},
        "machine": machine(),
        "source": source_state(REPO_ROOT),
        "figures": [figure.as_dict() for figure in figures],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    path.with_suffix(".txt").write_text(report + "\n")
    return path






if __name__ == "__main__":
    sys.exit(main())
