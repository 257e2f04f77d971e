"""The web load benchmark's appliance: a data home with the synthetic catalogue, page images, a reader, gunicorn.

Built once into <work>/home and reused while <work>/built.json says it holds the same number of items.
"""

import contextlib
import datetime
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageDraw

from appliance.adapters.sample_batch import degrade, render_text_page
from appliance.adapters.tables import read_rows
from appliance.bootstrap import build_appliance
from appliance.cli.server import service_commands
from appliance.config import load_config
from appliance.domain.access import AccessScope
from appliance.domain.actors import Actor
from appliance.domain.catalogue import AccessLabel, ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.accounts import add_user, change_password
from appliance.services.api_tokens import issue_token
from appliance.services.catalogue_import import import_catalogue
from appliance.services.items import add_item
from bench.catalogue_bench import CSV_FONDS, FIRST_YEAR, YEARS, register_fonds
from bench.catalogue_data import CatalogueShape, write_catalogue_csv
from bench.measures import progress

ACTOR = Actor("bench", "local")
USERNAME = "load.reader"
INITIAL_PASSWORD, PASSWORD = "Initial-pass-2026", "Load-bench-2026"
IMAGE_CLASS = ClassKey(CSV_FONDS[0], "WS", FIRST_YEAR + YEARS, "Y", "BGS")  # a year the catalogue does not use
PAGE_TEXT = ["滨江市人民政府办公室文件", "滨政办发〔2020〕12号", "关于做好档案数字化成果验收工作的通知",
             "各部门：为规范档案数字化工作，确保数字化成果真实、完整、可用，现就有关事项通知如下。",
             "一、数字化图像应当清晰完整，分辨率不低于300dpi，页面无缺失、无重复、无倾斜。",
             "二、著录项目应当与纸质档案一致，档号、题名、责任者、日期等项目不得遗漏。"]


@dataclass(frozen=True)
class BuiltHome:
    shape: CatalogueShape
    image_codes: list[str]


@dataclass(frozen=True)
class Server:
    base_url: str
    environment: dict[str, str]


def environment(work: Path, port: int = 0) -> dict[str, str]:
    """The process environment for the appliance: the home, an empty config file, bench-friendly web settings."""
    config_file = work / "empty.toml"
    config_file.touch()
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("DANGAN_")}
    return {**inherited, "DANGAN_HOME": str(work / "home"), "DANGAN_CONFIG": str(config_file),
            "DANGAN_WEB_SECURE_COOKIES": "false", "DANGAN_WEB_LOGIN_ATTEMPTS": "100000",
            "DANGAN_WEB_BIND": f"127.0.0.1:{port or _free_port()}"}


def prepare(work: Path, items: int, image_items: int) -> BuiltHome:
    """The home for `items` catalogue items and `image_items` items with a page; built unless already there."""
    shape = CatalogueShape(CSV_FONDS[0], FIRST_YEAR, YEARS, items)
    marker = work / "built.json"
    if marker.exists():
        built = json.loads(marker.read_text())
        if built["items"] == items and len(built["image_codes"]) >= image_items:
            progress(f"reusing the home in {work} ({items:,} items, {len(built['image_codes'])} with a page)")
            return BuiltHome(shape, built["image_codes"][:image_items])
    shutil.rmtree(work / "home", ignore_errors=True)
    marker.unlink(missing_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    settings = environment(work)
    subprocess.run([sys.executable, "-m", "appliance.cli", "init"], env=settings, check=True,
                   capture_output=True, text=True)
    build_catalogue(settings, work, shape)
    add_reader(settings)
    image_codes = add_image_items(settings, image_items, "pool")
    marker.write_text(json.dumps({"items": items, "image_codes": image_codes}, ensure_ascii=False))
    return BuiltHome(shape, image_codes)


def build_catalogue(settings: dict[str, str], work: Path, shape: CatalogueShape) -> None:
    """Fonds Z109 with its departments, and its items through the real CSV import."""
    csv_path = work / f"catalogue-{shape.fonds}-{shape.items}.csv"
    started = time.perf_counter()
    write_catalogue_csv(csv_path, shape)
    with _appliance(settings) as appliance:
        register_fonds(appliance.uow_factory, *CSV_FONDS)
        report = import_catalogue(appliance.uow_factory, appliance.blob_store, ACTOR, csv_path, read_rows(csv_path))
    csv_path.unlink()
    if report.items != shape.items:
        raise RuntimeError(f"the import filed {report.items} items, expected {shape.items}")
    progress(f"catalogue of {shape.items:,} items built in {time.perf_counter() - started:.0f} s")


def add_reader(settings: dict[str, str]) -> None:
    """An archivist cleared for 受控 who has already changed the initial password (no first-login step)."""
    with _appliance(settings) as appliance:
        add_user(appliance.uow_factory, appliance.passwords, ACTOR, USERNAME, INITIAL_PASSWORD, ["archivist"],
                 "负载测试", scope=AccessScope(AccessLabel.RESTRICTED))
        change_password(appliance.uow_factory, appliance.passwords, ACTOR, USERNAME, INITIAL_PASSWORD, PASSWORD)


def issue_api_token(settings: dict[str, str]) -> str:
    """A fresh bearer secret for the reader, for reading items and their content."""
    with _appliance(settings) as appliance:
        _token, secret = issue_token(appliance.uow_factory, ACTOR, USERNAME, f"load bench {time.time():.0f}",
                                     ["item.read", "item.view_content"], datetime.datetime.now(datetime.UTC))
    return secret


def add_image_items(settings: dict[str, str], count: int, label: str) -> list[str]:
    """`count` new items in the spare class, each with one 300-dpi A4 page of its own; returns their codes."""
    started = time.perf_counter()
    bases = [degrade(render_text_page(random.Random(seed).sample(PAGE_TEXT, len(PAGE_TEXT)) * 3), grain=3,
                     seed=seed) for seed in range(4)]
    codes = []
    with _appliance(settings) as appliance, tempfile.TemporaryDirectory() as scratch:
        for number in range(count):
            page = Path(scratch) / f"page-{number}.jpg"
            page.write_bytes(_unique_page(bases[number % len(bases)], f"{label} {number}"))
            fields = ItemFields(title=f"数字化验收样张 {label} {number}", date="20200601", responsible="办公室")
            item = add_item(appliance.uow_factory, appliance.blob_store, ACTOR, IMAGE_CLASS, fields, [page])
            codes.append(item.archival_code)
    progress(f"{count} items with a 300-dpi page added ({label}) in {time.perf_counter() - started:.0f} s")
    return codes


def _unique_page(base, mark: str) -> bytes:
    # A mark of its own gives every page its own digest, so no two items share a stored rendition.
    page = base.copy()
    ImageDraw.Draw(page).text((300, 3380), mark, fill=0)
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=90, dpi=(300, 300))
    return buffer.getvalue()


@contextlib.contextmanager
def _appliance(settings: dict[str, str]):
    appliance = build_appliance(load_config(settings))
    try:
        yield appliance
    finally:
        appliance.close()


@contextlib.contextmanager
def running_server(work: Path):
    """gunicorn started with `dangan run`'s own command for the web, on a free loopback port; stopped after."""
    settings = environment(work)
    command, _ = service_commands(load_config(settings))["web"]
    base_url = f"http://{settings['DANGAN_WEB_BIND']}"
    with open(work / "gunicorn-access.log", "w") as access, open(work / "gunicorn.log", "w") as errors:
        process = subprocess.Popen(command, env=settings, stdout=access, stderr=errors, cwd=Path(__file__).parents[1])
        try:
            _wait_until_up(base_url, process)
            progress(f"gunicorn up at {base_url}: {' '.join(command[3:-1])}")
            yield Server(base_url, settings)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_up(base_url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}; see gunicorn.log in the work dir")
        with contextlib.suppress(OSError, urllib.error.URLError), \
                urllib.request.urlopen(f"{base_url}/login", timeout=5) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {base_url}/login within {seconds:.0f} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


