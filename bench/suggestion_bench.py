"""Filing suggestions and keywords (issue 8): accuracy of the filing model, its training time and latency, and the
time to read a document's keywords.

The corpus is tests/support/official_documents.py's generated 公文 (seven departments with their own vocabulary and
borrowed words, retention following the document type only by probability, 6% of documents filed elsewhere). The
model trains on `--items` documents and is measured on a held-out fifth; figures are printed as a table.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from appliance.adapters.filing_model import StoredFilingModels  # noqa: E402
from appliance.adapters.keyword_extraction import JiebaKeywords  # noqa: E402
from appliance.domain.filing_patterns import TrainingExample, header_suggestions  # noqa: E402
from tests.support.official_documents import generate_documents  # noqa: E402


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000, help="training items (a fifth more are held out)")
    parser.add_argument("--latency-runs", type=int, default=300, help="single-document suggestions timed")
    parser.add_argument("--keyword-documents", type=int, default=200, help="~2,000-character documents read")
    parser.add_argument("--seed", type=int, default=8)
    return parser.parse_args(argv)


def model_figures(options: argparse.Namespace) -> list[tuple[str, str]]:
    documents = generate_documents(int(options.items * 1.25), seed=options.seed)
    examples = [TrainingExample(f"{document.title}\n{document.text}", document.department, document.retention)
                for document in documents]
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        trained = StoredFilingModels(Path(directory)).train(examples)
        training = time.perf_counter() - started
        size = (Path(directory) / f"{trained.sha256}.joblib").stat().st_size
        model = StoredFilingModels(Path(directory)).load(trained.sha256)
    rows = [("training items / held out", f"{trained.metrics['training_items']} / {trained.metrics['held_out_items']}"),
            ("training time, stored (s)", f"{training:.1f}"), ("model file (KB)", f"{size / 1024:.0f}")]
    for field in ("department", "retention"):
        figures = trained.metrics[field]
        rows.append((f"{field}: top-1 / top-3 / most common value",
                     f"{figures['top1']:.3f} / {figures['top3']:.3f} / {figures['baseline']:.3f}"))
    samples = generate_documents(options.latency_runs, seed=options.seed + 1)
    times = []
    for document in samples:
        started = time.perf_counter()
        model.predict(document.text)
        header_suggestions(document.text)
        times.append(1000 * (time.perf_counter() - started))
    rows.append(("suggestions for one document, p50 / p95 (ms)", f"{statistics.median(times):.1f} / "
                                                                 f"{statistics.quantiles(times, n=20)[18]:.1f}"))
    return rows


def keyword_figures(options: argparse.Namespace) -> list[tuple[str, str]]:
    extractor = JiebaKeywords()
    started = time.perf_counter()
    extractor.extract("加载词典", 8)
    loading = time.perf_counter() - started
    pieces = generate_documents(options.keyword_documents * 10, seed=options.seed + 2)
    texts = ["\n".join(piece.text for piece in pieces[index:index + 10])
             for index in range(0, len(pieces), 10)]
    times = []
    for text in texts:
        started = time.perf_counter()
        extractor.extract(text, 8)
        times.append(1000 * (time.perf_counter() - started))
    characters = statistics.mean(len(text) for text in texts)
    return [("jieba dictionary load, once per process (s)", f"{loading:.2f}"),
            (f"keywords of one document (~{characters:.0f} characters), p50 / p95 (ms)",
             f"{statistics.median(times):.1f} / {statistics.quantiles(times, n=20)[18]:.1f}")]


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    rows = model_figures(options) + keyword_figures(options)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
