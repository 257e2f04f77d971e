"""The web load benchmark's client side: signing in, the URLs of each scenario, and the load (wrk or Python)."""

import concurrent.futures
import http.client
import random
import re
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from bench.catalogue_data import RETENTIONS

LUA_SCRIPT = Path(__file__).resolve().parent / "web_load.lua"
USER_AGENT = "dangan-web-load-bench"  # the console's strong session protection binds a session to its user agent
SEED = 4
URLS_PER_KIND = 2000
WARM_UP_REQUESTS = 20


@dataclass(frozen=True)
class Sample:
    kind: str
    status: int
    milliseconds: float


@dataclass(frozen=True)
class LoadResult:
    samples: list[Sample]
    seconds: float
    socket_errors: int
    note: str

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds


def request(base_url: str, method: str, path: str, headers: dict, body: str | None = None):
    """(status, headers, body) of one request on a fresh connection."""
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(base_url).netloc, timeout=120)
    try:
        connection.request(method, path, body, {"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def sign_in(base_url: str, username: str, password: str) -> str:
    """The console session cookie ("dangan_session=..."); raises RuntimeError if signing in fails."""
    status, headers, body = request(base_url, "GET", "/login", {})
    cookie = _session_cookie(headers)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or cookie is None or token is None:
        raise RuntimeError(f"GET /login answered {status} without a session cookie or CSRF token")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token.group(1)})
    status, headers, _ = request(base_url, "POST", "/login", {
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, form)
    cookie = _session_cookie(headers)
    if status != 302 or cookie is None or request(base_url, "GET", "/", {"Cookie": cookie})[0] != 200:
        raise RuntimeError(f"signing in as {username} failed (POST /login answered {status})")
    return cookie


def _session_cookie(headers) -> str | None:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("dangan_session="):
            return value.split(";", 1)[0]
    return None


def page_image_path(code: str) -> str:
    """The console URL of an item's first page image (the middle dot percent-encoded)."""
    return f"/items/{urllib.parse.quote(code)}/pages/1.jpg"


def scenario_urls(kinds: tuple[str, ...], built) -> list[tuple[str, str]]:
    """(kind, path) pairs, URLS_PER_KIND of each kind (image URLs: each image item once), in a seeded order."""
    chooser = random.Random(SEED)
    shape, fonds = built.shape, built.shape.fonds
    years = range(shape.first_year, shape.first_year + shape.years)
    urls = []
    for kind in kinds:
        for _ in range(URLS_PER_KIND if kind != "page image" else 0):
            year, retention = chooser.choice(years), chooser.choice(RETENTIONS)
            after = shape.random_code_in(year, retention, chooser).format() if "deep" in kind else None
            urls.append((kind, _path(kind, fonds, year, retention, after, shape.random_code(chooser).format())))
        if kind == "page image":
            urls += [(kind, page_image_path(code)) for code in built.image_codes]
    chooser.shuffle(urls)
    return urls


def _path(kind: str, fonds: str, year: int, retention: str, after: str | None, code: str) -> str:
    position = f"&after={urllib.parse.quote(after)}" if after else ""
    if kind.startswith("list"):
        return f"/fonds/{fonds}?year={year}&retention={retention}{position}"
    if kind.startswith("API"):
        return f"/api/v1/items?fonds={fonds}&year={year}&retention={retention}&limit=50{position}"
    return f"/items/{urllib.parse.quote(code)}"


def timed_sequential(base_url: str, cookie: str, paths: list[str]) -> list[float]:
    """Milliseconds for each GET, one at a time; raises RuntimeError on any answer but 200."""
    samples = []
    for path in paths:
        start = time.perf_counter()
        status, _, _ = request(base_url, "GET", path, {"Cookie": cookie})
        samples.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
    return samples


def warm_renditions(base_url: str, cookie: str, codes: list[str]) -> None:
    """View every image item's page once (two at a time: rendering is CPU-bound), so later views are warm."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda code: timed_sequential(base_url, cookie, [page_image_path(code)]), codes))


def run_load(generator: str, base_url: str, urls: list[tuple[str, str]], headers: dict, options) -> LoadResult:
    """Warm up on a few URLs, then load the server with `options.connections` clients for `options.seconds`."""
    for _kind, path in urls[:WARM_UP_REQUESTS]:
        request(base_url, "GET", path, headers)
    if generator == "wrk":
        return _run_wrk(base_url, urls, headers, options)
    return _run_threads(base_url, urls, headers, options)


def _run_wrk(base_url: str, urls, headers: dict, options) -> LoadResult:
    with tempfile.TemporaryDirectory() as scratch:
        url_file, sample_file = Path(scratch) / "urls.tsv", Path(scratch) / "samples.tsv"
        url_file.write_text("".join(f"{kind}\t{path}\n" for kind, path in urls))
        header_options = [option for name, value in headers.items() for option in ("-H", f"{name}: {value}")]
        connections = str(options.connections)
        command = ["wrk", "-t", connections, "-c", connections, "-d", f"{options.seconds}s", "--timeout", "60s",
                   *header_options, "-s", str(LUA_SCRIPT), base_url, "--", str(url_file), str(sample_file),
                   str(options.think_ms)]
        subprocess.run(command, check=True, capture_output=True, text=True)
        return _read_wrk_samples(sample_file.read_text())


def _read_wrk_samples(text: str) -> LoadResult:
    samples, socket_errors, seconds = [], 0, 0.0
    for line in text.splitlines():
        fields = line.split("\t")
        if fields[0] == "#errors":
            counts = dict(part.split("=") for part in fields[1].split())
            socket_errors = sum(int(counts[name]) for name in ("connect", "read", "write", "timeout"))
        elif fields[0] == "#summary":
            seconds = int(dict(part.split("=") for part in fields[1].split())["duration_us"]) / 1e6
        else:
            samples.append(Sample(fields[0], int(fields[1]), int(fields[2]) / 1000))
    return LoadResult(samples, seconds, socket_errors, "wrk, one thread per connection")


def _run_threads(base_url: str, urls, headers: dict, options) -> LoadResult:
    samples, errors, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + options.seconds

    def client(number: int) -> None:
        own, position, chooser = [], number * 7919, random.Random(number)
        connection = http.client.HTTPConnection(urllib.parse.urlsplit(base_url).netloc, timeout=60)
        while time.perf_counter() < deadline:
            time.sleep(chooser.uniform(0, 2 * options.think_ms) / 1000)
            kind, path = urls[position % len(urls)]
            position += 1
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers={"User-Agent": USER_AGENT, **headers})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                with lock:
                    errors[0] += 1
                continue
            own.append(Sample(kind, response.status, (time.perf_counter() - start) * 1000))
        with lock:
            samples.extend(own)

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(number,)) for number in range(options.connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return LoadResult(samples, time.perf_counter() - started, errors[0], "Python threads client: less precise")
