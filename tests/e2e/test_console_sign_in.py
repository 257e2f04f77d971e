"""Signing in to the console in Debian's Chromium, against gunicorn: first sign-in, errors, language, sign-out."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    error_text,
    first_sign_in,
    inline_scripts,
    launch_chromium,
    scroll_width,
    sign_in,
    submit,
    watch_csp_violations,
)

pytestmark = pytest.mark.slow

NEW_PASSWORD = "Binjiang-Archive-2026"
DEMO_FONDS_NAME = "滨江市人民政府办公室"
PHONE_WIDTH = 390


def no_inline_script(page) -> None:
    assert inline_scripts(page) == 0, f"{page.url} carries an inline <script>"


def fits_a_phone(page) -> None:
    no_inline_script(page)
    assert scroll_width(page) <= PHONE_WIDTH, f"{page.url} is wider than the screen"


def recorder(check, headings: list[str]):
    """An `inspect` for first_sign_in: run `check` on each step's page and note its heading."""

    def inspect(page) -> None:
        check(page)
        headings.append(page.locator("h1").inner_text())

    return inspect


def test_the_demo_archivist_changes_the_one_time_password_and_sees_the_fonds_in_chinese(
        running_appliance, desktop_page):
    page, base = desktop_page, running_appliance.base_url
    violations = watch_csp_violations(page)
    page.goto(base + "/")
    assert page.url.startswith(base + "/login?next=")  # the console asks who is there first
    expect(page.locator("h1")).to_have_text("登录")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    seen = []
    secret = first_sign_in(page, base, "demo", running_appliance.initial_passwords["demo"], NEW_PASSWORD,
                           inspect=recorder(no_inline_script, seen))
    assert secret is None  # an archivist needs no second factor
    assert seen == ["登录", "设置新密码"]
    assert page.url == base + "/"
    expect(page.locator("h1")).to_have_text("全宗")
    expect(page.locator("main table")).to_contain_text(DEMO_FONDS_NAME)
    expect(page.get_by_role("link", name="Z109")).to_be_visible()
    no_inline_script(page)
    assert violations == []


def test_an_administrator_at_390_px_changes_the_password_enrols_totp_and_signs_in_with_it(
        running_appliance, phone_page):
    page, base = phone_page, running_appliance.base_url
    violations = watch_csp_violations(page)
    seen = []
    secret = first_sign_in(page, base, "sysadmin", running_appliance.initial_passwords["sysadmin"], NEW_PASSWORD,
                           inspect=recorder(fits_a_phone, seen))
    assert seen == ["登录", "设置新密码", "设置双因素认证"]
    assert secret and re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert page.url == base + "/"
    expect(page.locator("h1")).to_contain_text("欢迎")
    fits_a_phone(page)
    page.get_by_role("button", name="退出").click()
    expect(page.locator("h1")).to_have_text("登录")
    sign_in(page, base, "sysadmin", NEW_PASSWORD, totp_secret=secret)  # the enrolled factor works next time
    expect(page.locator("h1")).to_contain_text("欢迎")
    assert violations == []


def test_the_enrolment_page_shows_the_qr_code_and_the_key_within_390_px(running_appliance, new_person, phone_page):
    page, base = phone_page, running_appliance.base_url
    person = new_person(["security_admin"], prefix="enrol")  # own password set, no second factor yet
    page.goto(base + "/login")
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", person.password)
    submit(page)
    assert page.url == base + "/login/enrol"
    expect(page.locator("figure.qr svg")).to_be_visible()
    expect(page.locator("code.secret")).to_have_text(re.compile(r"^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$"))
    fits_a_phone(page)


def test_a_wrong_password_is_refused_in_chinese_and_the_name_stays(running_appliance, new_person, desktop_page):
    page, base = desktop_page, running_appliance.base_url
    person = new_person(["archivist"], prefix="wrong")
    page.goto(base + "/login")
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", person.password + "x")
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").click()
    assert navigation.value.status == 401
    assert error_text(page) == "用户名或密码错误。"
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("input[name=username]")).to_have_value(person.username)
    expect(page.locator("input[name=password]")).to_have_value("")  # a password is never sent back


def test_the_language_switch_turns_the_console_to_english_and_back(running_appliance, new_person, desktop_page):
    page, base = desktop_page, running_appliance.base_url
    person = new_person(["archivist"], prefix="language")
    sign_in(page, base, person.username, person.password)
    expect(page.locator("h1")).to_have_text("全宗")
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.url == base + "/"  # the switch returns to the page it was pressed on
    expect(page.locator("h1")).to_have_text("Fonds")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="中文").click()
    expect(page.locator("h1")).to_have_text("全宗")
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_sign_out_returns_to_the_login_page_and_back_does_not_show_the_console(
        running_appliance, new_person, desktop_page):
    page, base = desktop_page, running_appliance.base_url
    person = new_person(["archivist"], prefix="leave")
    sign_in(page, base, person.username, person.password)
    expect(page.locator("main table")).to_contain_text(DEMO_FONDS_NAME)
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()
    assert page.url == base + "/login"
    expect(page.locator("h1")).to_have_text("登录")
    page.go_back()  # Playwright's Chromium keeps no back/forward cache: this asks the server (see the next test)
    expect(page.locator("main")).not_to_contain_text(DEMO_FONDS_NAME)
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")


def test_after_sign_out_back_does_not_restore_the_console_from_the_back_forward_cache(
        running_appliance, new_person, playwright_driver):
    base, person = running_appliance.base_url, new_person(["archivist"], prefix="bfcache")
    browser = launch_chromium(playwright_driver, back_forward_cache=True)  # as a person's Chromium has it
    try:
        context = browser.new_context(**DESKTOP)
        context.set_default_timeout(10_000)
        page = context.new_page()
        sign_in(page, base, person.username, person.password)
        expect(page.locator("main table")).to_contain_text(DEMO_FONDS_NAME)
        with page.expect_navigation():
            page.get_by_role("button", name="退出").click()
        page.go_back(wait_until="commit")  # a page restored from the cache fires no load event: wait for no more
        assert page.url.startswith(base + "/login")  # a request went out and was sent to sign in
        expect(page.locator("main")).not_to_contain_text(DEMO_FONDS_NAME)
    finally:
        browser.close()


def test_at_390_px_the_login_page_and_the_fonds_list_fit_the_screen(running_appliance, new_person, phone_page):
    page, base = phone_page, running_appliance.base_url
    person = new_person(["archivist"], prefix="phone")
    page.goto(base + "/login")
    fits_a_phone(page)
    sign_in(page, base, person.username, person.password)
    expect(page.locator("main table")).to_contain_text(DEMO_FONDS_NAME)
    fits_a_phone(page)


def test_the_content_security_policy_refuses_inline_scripts_in_practice(running_appliance, desktop_page):
    page, base = desktop_page, running_appliance.base_url
    violations = watch_csp_violations(page)
    response = page.goto(base + "/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    no_inline_script(page)
    ran = page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.inlineScriptRan = true;';
        document.body.append(script);
        return window.inlineScriptRan === true;
    }""")
    assert ran is False
    for _ in range(40):  # the console message arrives asynchronously
        if violations:
            break
        page.wait_for_timeout(50)
    assert any("inline script" in violation for violation in violations), violations
