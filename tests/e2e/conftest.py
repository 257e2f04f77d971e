"""Browser test fixtures: one running appliance and one Chromium per session, a fresh page per test.

Tests share the appliance, so each makes its own people (`new_person`) or only reads what `dangan demo` made.
A failed test leaves a full-page screenshot of its page in its tmp_path.
"""

import itertools

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import DESKTOP, PHONE, add_person, launch_chromium, start_appliance

_numbers = itertools.count(1)
_call_report = pytest.StashKey()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_call_report] = report
    return report


@pytest.fixture(scope="session")
def running_appliance(tmp_path_factory):
    """`dangan run` (web with two gunicorn workers, agent on the virtual scanner, worker) on a fresh demo home."""
    running = start_appliance(tmp_path_factory.mktemp("appliance"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def playwright_driver():
    """Playwright's driver, for a test that needs a browser of its own (`launch_chromium(playwright_driver, ...)`)."""
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_driver):
    browser = launch_chromium(playwright_driver)
    yield browser
    browser.close()


@pytest.fixture
def new_person(running_appliance):
    """Make a user no other test knows: `new_person(roles, prefix="e2e", **add_person options) -> Person`."""

    def make(roles, prefix: str = "e2e", **options):
        return add_person(running_appliance, f"{prefix}-{next(_numbers)}", roles, **options)

    return make


@pytest.fixture
def desktop_page(chromium, request, tmp_path):
    yield from _page(chromium, DESKTOP, request, tmp_path)


@pytest.fixture
def phone_page(chromium, request, tmp_path):
    yield from _page(chromium, PHONE, request, tmp_path)


def _page(browser, options: dict, request, tmp_path):
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)  # a page of this box answers in well under a second
    page = context.new_page()
    try:
        yield page
    finally:
        report = request.node.stash.get(_call_report, None)
        if report is not None and report.failed:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print(f"screenshot of the failed page ({page.url}): {tmp_path / 'failure.png'}")
        context.close()
