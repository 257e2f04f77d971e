"""Signing in and out through the real forms: passwords, lockout, throttle, CSRF, sessions, steps, TOTP, cookies."""

import datetime
import re

import pytest
from sqlalchemy import text

from appliance.adapters.second_factor import TotpCodes
from appliance.domain.actors import Actor
from appliance.services import accounts
from appliance.services.audit import history
from appliance.services.first_accounts import create_first_administrators
from appliance.services.sessions import ThrottlePolicy
from tests.support.console import CSRF_FIELD, INITIAL_PASSWORD, PASSWORD, SECURITY_OFFICER, make_person, sign_in
from web import create_app

COOKIE = "dangan_session"
NEW_PASSWORD = "Renewed#Pass42"
WRONG_PASSWORD_ZH = "用户名或密码错误。"
LOCKED_ZH = "登录失败次数过多：此账户已锁定至"
WRONG_CODE_ZH = "验证码错误或已使用"
SECRET_ON_PAGE = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')


def page_form(client, path: str) -> tuple[str, str]:
    """One GET of a form page: its HTML and its CSRF token (the enrolment page makes a new key on every GET)."""
    page = client.get(path).get_data(as_text=True)
    found = CSRF_FIELD.search(page)
    assert found, f"no CSRF token on {path}"
    return page, found.group(1)


def post_step(client, path: str, data: dict, form_page: str | None = None):
    """POST a form with the CSRF token of its own page (or of `form_page`)."""
    return client.post(path, data={**data, "csrf_token": page_form(client, form_page or path)[1]})


def session_rows(appliance) -> list[tuple]:
    with appliance.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(
            text("SELECT id, end_reason FROM web_sessions ORDER BY id"))]


def cookie_value(client) -> str:
    return client.get_cookie(COOKIE).value


def replayed(app, value: str):
    """A fresh browser that presents a captured session cookie."""
    fresh = app.test_client()
    fresh.set_cookie(COOKIE, value)
    return fresh


def move_clock(monkeypatch, delta: datetime.timedelta) -> None:
    moment = datetime.datetime.now(datetime.UTC) + delta
    monkeypatch.setattr("web.security.now", lambda: moment)
    monkeypatch.setattr("web.console.auth.now", lambda: moment)


def wrong_code(secret: str) -> str:
    """A six-digit code that matches none of the steps the check allows around now."""
    moment = datetime.datetime.now(datetime.UTC)
    near = {TotpCodes().code_at(secret, moment + datetime.timedelta(seconds=30 * step)) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in near)


def signed_in_page(client):
    return client.get("/")


# passwords, lockout, throttle


def test_a_wrong_password_is_refused_in_chinese_and_starts_no_session(client, appliance):
    make_person(appliance, "wang", ["archivist"])
    response = sign_in(client, "wang", "Wrong#Pass99")
    assert response.status_code == 401 and WRONG_PASSWORD_ZH in response.get_data(as_text=True)
    assert session_rows(appliance) == []
    assert signed_in_page(client).status_code == 302
    assert accounts.get_user(appliance.uow_factory, "wang").lockout.failures == 1
    assert sign_in(client, "nobody", "Wrong#Pass99").get_data(as_text=True).count(WRONG_PASSWORD_ZH) == 1


def test_five_failures_lock_the_account_even_for_the_right_password(client, appliance):
    make_person(appliance, "wang", ["archivist"])
    refusals = [sign_in(client, "wang", f"Wrong#Pass{attempt}") for attempt in range(5)]
    assert [response.status_code for response in refusals] == [401] * 5
    assert LOCKED_ZH not in refusals[3].get_data(as_text=True) and LOCKED_ZH in refusals[4].get_data(as_text=True)
    sixth = sign_in(client, "wang", PASSWORD)
    assert sixth.status_code == 401 and LOCKED_ZH in sixth.get_data(as_text=True)
    assert session_rows(appliance) == [] and signed_in_page(client).status_code == 302


def test_too_many_attempts_from_one_address_are_throttled(app, client, appliance, request):
    app.extensions["dangan"].throttle_policy = ThrottlePolicy(3, 5)
    make_person(appliance, "wang", ["archivist"])
    assert [sign_in(client, "wang", f"Wrong#Pass{n}").status_code for n in range(3)] == [401] * 3
    throttled = sign_in(client, "wang", PASSWORD)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "300"
    assert "此地址的登录尝试过多，请等待 5 分钟" in throttled.get_data(as_text=True)
    assert session_rows(appliance) == [] and accounts.get_user(appliance.uow_factory, "wang").lockout.failures == 3
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert sign_in(elsewhere, "wang", PASSWORD).status_code == 302


# CSRF, fixation, sign-out, idle, disabled


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(client, appliance):
    make_person(appliance, "wang", ["archivist"])
    refused = client.post("/login", data={"username": "wang", "password": "Wrong#Pass1"})
    assert refused.status_code == 400 and "表单已过期" in refused.get_data(as_text=True)
    assert accounts.get_user(appliance.uow_factory, "wang").lockout.failures == 0
    assert [event.action for event in history(appliance.uow_factory, "user", "wang")][-1] == "password.change"
    assert sign_in(client, "wang").status_code == 302
    assert client.post("/logout").status_code == 400
    assert client.post("/language", data={"language": "en"}).status_code == 400
    page = signed_in_page(client)
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.get_data(as_text=True)
    assert [reason for _, reason in session_rows(appliance)] == [None]


def test_signing_in_replaces_the_cookie_and_an_earlier_one_opens_nothing(app, client, appliance):
    make_person(appliance, "wang", ["archivist"])
    client.get("/login")
    before = cookie_value(client)
    assert sign_in(client, "wang").status_code == 302
    after = cookie_value(client)
    assert after != before
    assert replayed(app, before).get("/").status_code == 302
    assert replayed(app, after).get("/").status_code == 200  # the capture itself works: the test can tell


def test_signing_out_ends_the_session_on_the_server(app, client, appliance):
    make_person(appliance, "wang", ["archivist"])
    sign_in(client, "wang")
    captured = cookie_value(client)
    token = page_form(client, "/")[1]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert [reason for _, reason in session_rows(appliance)] == ["signed out"]
    replay = replayed(app, captured).get("/")
    assert replay.status_code == 302 and "/login" in replay.location


def test_an_idle_session_ends_and_is_audited(client, appliance, monkeypatch):
    make_person(appliance, "wang", ["archivist"])
    sign_in(client, "wang")
    move_clock(monkeypatch, datetime.timedelta(minutes=14))
    assert signed_in_page(client).status_code == 200  # a request within the idle window keeps it going
    move_clock(monkeypatch, datetime.timedelta(minutes=14 + 16))
    response = signed_in_page(client)
    assert response.status_code == 302 and "/login" in response.location
    [(session_id, reason)] = session_rows(appliance)
    assert reason == "idle"
    ends = [event for event in history(appliance.uow_factory, "session", str(session_id))
            if event.action == "session.end"]
    assert [event.details for event in ends] == [{"reason": "idle"}]


def test_a_disabled_user_is_out_at_the_next_request(client, appliance):
    make_person(appliance, "wang", ["archivist"])
    sign_in(client, "wang")
    assert signed_in_page(client).status_code == 200
    accounts.disable(appliance.uow_factory, SECURITY_OFFICER, "wang")
    response = signed_in_page(client)
    assert response.status_code == 302 and "/login" in response.location
    assert [reason for _, reason in session_rows(appliance)] == ["disabled"]


# the steps of a first sign-in


def test_the_first_sign_in_forces_a_password_change(client, appliance):
    make_person(appliance, "wang", ["archivist"], ready=False)
    response = sign_in(client, "wang", INITIAL_PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/login/password")
    for path in ("/", "/fonds/Z109"):
        assert client.get(path).status_code == 302
    page = client.get("/login/password").get_data(as_text=True)
    assert all(rule in page for rule in ("至少 8 个字符", "至少 3 类", "最近 5 次"))
    weak = post_step(client, "/login/password", {"current_password": INITIAL_PASSWORD, "new_password": "weakweak",
                                                 "confirm_password": "weakweak"})
    assert weak.status_code == 422 and "password refused" in weak.get_data(as_text=True)
    assert session_rows(appliance) == []
    done = post_step(client, "/login/password", {"current_password": INITIAL_PASSWORD, "new_password": NEW_PASSWORD,
                                                 "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302 and signed_in_page(client).status_code == 200
    assert not accounts.get_user(appliance.uow_factory, "wang").must_change_password


def test_console_pages_lead_back_into_the_pending_step(client, appliance):
    make_person(appliance, "wang", ["archivist"], ready=False)
    sign_in(client, "wang", INITIAL_PASSWORD)
    assert client.get("/fonds/Z109", follow_redirects=True).request.path == "/login/password"


def test_the_three_administrators_enrol_a_second_factor_at_first_sign_in(app, appliance):
    created = create_first_administrators(appliance.uow_factory, appliance.passwords, Actor("cli:init", "local"),
                                          appliance.password_policy, lambda: INITIAL_PASSWORD)
    assert sorted(created) == ["auditadmin", "secadmin", "sysadmin"]
    for username in created:
        client = app.test_client()
        assert sign_in(client, username, INITIAL_PASSWORD).location.endswith("/login/password")
        changed = post_step(client, "/login/password", {"current_password": INITIAL_PASSWORD,
                                                        "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
        assert changed.location.endswith("/login/enrol") and client.get("/").status_code == 302
        page, token = page_form(client, "/login/enrol")
        assert "<svg" in page and SECRET_ON_PAGE.search(page)
        wrong = client.post("/login/enrol", data={"code": wrong_code(enrol_secret(page)), "csrf_token": token})
        assert wrong.status_code == 422 and WRONG_CODE_ZH in wrong.get_data(as_text=True)
        secret = enrol_secret(wrong.get_data(as_text=True))
        code = TotpCodes().code_at(secret, datetime.datetime.now(datetime.UTC))
        right = client.post("/login/enrol", data={"code": code, "csrf_token": token})
        assert right.status_code == 302 and signed_in_page(client).status_code == 200
        assert accounts.get_user(appliance.uow_factory, username).totp_enabled


def enrol_secret(page: str) -> str:
    return SECRET_ON_PAGE.search(page).group(1).replace(" ", "")


# the second factor at sign-in


def test_a_user_with_totp_is_asked_for_the_code_and_a_code_works_once(client, appliance):
    secret = make_person(appliance, "wang", ["archivist"], with_totp=True)
    response = sign_in(client, "wang")
    assert response.location.endswith("/login/code") and signed_in_page(client).status_code == 302
    code = TotpCodes().code_at(secret, datetime.datetime.now(datetime.UTC))
    assert post_step(client, "/login/code", {"code": code}).status_code == 302
    assert signed_in_page(client).status_code == 200
    client.post("/logout", data={"csrf_token": page_form(client, "/")[1]})
    sign_in(client, "wang")
    replay = post_step(client, "/login/code", {"code": code})
    assert replay.status_code == 401 and WRONG_CODE_ZH in replay.get_data(as_text=True)
    assert signed_in_page(client).status_code == 302


def test_wrong_codes_lock_the_account(client, appliance):
    secret = make_person(appliance, "wang", ["archivist"], with_totp=True)
    sign_in(client, "wang")
    answers = [post_step(client, "/login/code", {"code": wrong_code(secret)}) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [401] * 5
    assert WRONG_CODE_ZH in answers[3].get_data(as_text=True) and LOCKED_ZH in answers[4].get_data(as_text=True)
    again = sign_in(client, "wang", totp_secret=secret)
    assert again.status_code == 401 and LOCKED_ZH in again.get_data(as_text=True)


def test_wrong_codes_keep_counting_across_password_sign_ins(client, appliance):
    secret = make_person(appliance, "wang", ["archivist"], with_totp=True)
    sign_in(client, "wang")
    for _ in range(4):
        post_step(client, "/login/code", {"code": wrong_code(secret)})
    sign_in(client, "wang")
    fifth = post_step(client, "/login/code", {"code": wrong_code(secret)})
    assert LOCKED_ZH in fifth.get_data(as_text=True)


def test_the_password_alone_cannot_enrol_a_new_second_factor(client, appliance):
    make_person(appliance, "wang", ["archivist"], with_totp=True)
    sign_in(client, "wang")
    before = accounts.get_user(appliance.uow_factory, "wang")
    assert client.get("/login/enrol").location.endswith("/login/code")  # no new key is offered
    _, token = page_form(client, "/login/code")
    posted = client.post("/login/enrol", data={"code": "123456", "csrf_token": token})
    assert posted.location.endswith("/login/code") and signed_in_page(client).status_code == 302
    after = accounts.get_user(appliance.uow_factory, "wang")
    assert (after.totp_secret, after.totp_pending) == (before.totp_secret, before.totp_pending)


def test_the_password_alone_cannot_change_the_password(client, appliance):
    make_person(appliance, "wang", ["archivist"], with_totp=True)
    sign_in(client, "wang")
    assert client.get("/login/password").location.endswith("/login/code")
    _, token = page_form(client, "/login/code")
    posted = client.post("/login/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                  "confirm_password": NEW_PASSWORD, "csrf_token": token})
    assert posted.location.endswith("/login/code")
    assert accounts.authenticate(appliance.uow_factory, appliance.passwords, "wang", PASSWORD, "192.0.2.5").account


def test_the_code_step_of_a_user_without_totp_leads_to_the_step_due(client, appliance):
    make_person(appliance, "wang", ["archivist"], ready=False)
    sign_in(client, "wang", INITIAL_PASSWORD)
    answer = post_step(client, "/login/code", {"code": "123456"}, "/login/password")
    assert answer.status_code == 302 and answer.location.endswith("/login/password")


# redirects, language, cookies, headers, escaping


def sign_in_then_go(client, target: str):
    token = page_form(client, "/login")[1]
    return client.post("/login", query_string={"next": target},
                       data={"username": "wang", "password": PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example",
                                    "/\t/evil.example"])
def test_a_next_elsewhere_is_ignored(client, appliance, target):
    make_person(appliance, "wang", ["archivist"])
    response = sign_in_then_go(client, target)
    assert response.status_code == 302 and response.location == "/"


def test_a_next_on_this_site_is_followed(client, appliance):
    make_person(appliance, "wang", ["archivist"])
    response = sign_in_then_go(client, "/fonds/Z109?year=2011")
    assert response.location == "/fonds/Z109?year=2011"


def test_the_language_switch_changes_the_page_language(client):
    assert "<h1>登录</h1>" in client.get("/login").get_data(as_text=True)
    switched = post_step(client, "/language", {"language": "en", "next": "/login"}, "/login")
    assert switched.status_code == 302 and switched.location == "/login"
    assert "<h1>Sign in</h1>" in client.get("/login").get_data(as_text=True)
    back = post_step(client, "/language", {"language": "zh_CN", "next": "https://evil.example/"}, "/login")
    assert back.location == "/"
    assert "<h1>登录</h1>" in client.get("/login").get_data(as_text=True)


def test_the_language_chosen_before_signing_in_stays(client, appliance):
    make_person(appliance, "wang", ["archivist"])
    post_step(client, "/language", {"language": "en", "next": "/login"}, "/login")
    sign_in(client, "wang")
    assert '<html lang="en">' in signed_in_page(client).get_data(as_text=True)


def test_cookies_are_http_only_same_site_and_secure_by_default(client, appliance):
    default_app = create_app({"appliance": appliance, "TESTING": True})
    [secure] = [c for c in default_app.test_client().get("/login").headers.getlist("Set-Cookie") if COOKIE in c]
    assert all(flag in secure for flag in ("Secure", "HttpOnly", "SameSite=Lax"))
    [plain] = [c for c in client.get("/login").headers.getlist("Set-Cookie") if COOKIE in c]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain


def test_the_login_page_carries_security_headers(client):
    headers = client.get("/login").headers
    policy = headers["Content-Security-Policy"]
    assert all(part in policy for part in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
                                           "form-action 'self'", "object-src 'none'"))
    assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")
    assert headers["Referrer-Policy"] == "same-origin"


def test_markup_typed_as_a_user_name_is_escaped(client):
    attack = '"><script>alert(1)</script>'
    response = client.post("/login", query_string={"next": attack},
                           data={"username": attack, "password": "x", "csrf_token": page_form(client, "/login")[1]})
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "<script>" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
