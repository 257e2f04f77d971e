from pathlib import Path

import pytest

from appliance.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "dangan.toml"
    path.write_text(text, encoding="utf-8")
    return {"DANGAN_CONFIG": str(path)}


def test_defaults_without_a_file(monkeypatch):
    monkeypatch.setattr("appliance.config.DEFAULT_CONFIG_PATH", Path("/nonexistent/dangan.toml"))
    config = load_config({})
    assert config.home == Path("/var/lib/dangan")
    assert config.database_url == "sqlite:////var/lib/dangan/dangan.sqlite3"
    assert config.web.workers == 2


def test_file_then_environment(tmp_path):
    environ = write(tmp_path, 'home = "/srv/dangan"\n[web]\nbind = "0.0.0.0:80"\nworkers = 4\n')
    environ |= {"DANGAN_WEB_WORKERS": "8", "DANGAN_DATABASE_URL": "postgresql://db/dangan", "DANGAN_HOME": "/x"}
    config = load_config(environ)
    assert config.web.bind == "0.0.0.0:80" and config.web.workers == 8
    assert config.home == Path("/x") and config.database_url == "postgresql://db/dangan"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[web]\nport = 80\n", "unknown setting web.port"),
        ("colour = 'red'\n", "unknown setting colour"),
        ("[web]\nworkers = 'four'\n", "web.workers must be a whole number"),
        ("[web]\nworkers = true\n", "web.workers must be a whole number"),
        ("[database]\necho = 'yes'\n", "database.echo must be true or false"),
        ("web = 3\n", "web must be a table"),
        ("[web\n", "not valid TOML"),
        ("[[workflows.chains]]\nkind = 'lending'\ntiers = ['x']\n", "workflows.chains: rule 1: 'lending'"),
        ("[[workflows.chains]]\nlabel = '绝密'\ntiers = ['x']\n", "workflows.chains: rule 1"),
        ("[[workflows.chains]]\nkind = 'borrowing'\n", "rule 1 needs tiers"),
        ("[[workflows.chains]]\ntiers = []\n", "1 or more tiers"),
    ],
)
def test_bad_files_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DANGAN_WEB_PORT": "80"}, "unknown setting DANGAN_WEB_PORT"),
        ({"DANGAN_COLOUR": "red"}, "unknown setting DANGAN_COLOUR"),
        ({"DANGAN_WEB_WORKERS": "many"}, "DANGAN_WEB_WORKERS \\(web.workers\\) must be a whole number"),
        ({"DANGAN_CONFIG": "/nonexistent/dangan.toml"}, "not a readable file"),
    ],
)
def test_bad_environment_names_the_variable(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ)


def test_account_policies_come_from_the_config_and_are_never_weaker_than_level_3():
    from appliance.bootstrap import account_policies


    stricter = load_config({"DANGAN_ACCOUNTS_PASSWORD_MIN_LENGTH": "12", "DANGAN_ACCOUNTS_LOCKOUT_MINUTES": "30"})
    password_policy, lockout_policy = account_policies(stricter)
    assert (password_policy.min_length, password_policy.min_classes) == (12, 3)
    assert (lockout_policy.max_failures, lockout_policy.lock_minutes) == (5, 30)
    with pytest.raises(ConfigError, match="password_min_length must be at least 8"):
        account_policies(load_config({"DANGAN_ACCOUNTS_PASSWORD_MIN_LENGTH": "6"}))
    with pytest.raises(ConfigError, match="password_min_classes"):
        account_policies(load_config({"DANGAN_ACCOUNTS_PASSWORD_MIN_CLASSES": "5"}))


def test_approval_chains_are_read_as_rules(tmp_path):
    config = load_config(write(tmp_path, "[[workflows.chains]]\nkind = 'borrowing'\ncategory = 'KJ'\n"
                                         "label = '受控'\ntiers = ['archivist', 'department head', 'leadership']\n"))
    (rule,) = config.workflows.rules
    assert (rule.kind.value, rule.category, rule.label.value, len(rule.tiers)) == ("borrowing", "KJ", "受控", 3)
