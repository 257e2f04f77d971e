"""The box's config file and the console's TLS certificate, written once and kept on later runs."""

import dataclasses
import json
import os
import tomllib
from pathlib import Path

from appliance.config import ENV_CONFIG, Config, ConfigError, WebConfig, load_config
from appliance.domain.errors import InvalidInputError
from provisioning.answers import Answers
from provisioning.certificates import TlsPair, alternative_names, check_pair, fingerprint, make_self_signed
from provisioning.layout import HOME, Layout, write_file
from provisioning.system import ProvisioningError

WEB_BIND = "0.0.0.0:443"  # the console answers HTTPS on every address
CREDENTIALS = Path("/run/credentials/dangan-web.service")  # where LoadCredential= hands the web unit its files
HEADER = ("# Written by `dangan provision`. It keeps this file on later runs while the answers agree with it;\n"
          "# a changed answer replaces it and keeps the old one as dangan.toml.previous.\n")


def wanted_settings(answers: Answers) -> dict[str, dict | str]:
    """The keys provisioning owns in dangan.toml, by table."""
    web = {"bind": WEB_BIND, "timezone": answers.timezone}
    known = {config_field.name for config_field in dataclasses.fields(WebConfig)}
    if {"certificate", "certificate_key"} <= known:  # once the web reads its certificate from the config
        web |= {"certificate": str(CREDENTIALS / "tls-certificate"), "certificate_key": str(CREDENTIALS / "tls-key")}
    settings: dict[str, dict | str] = {"home": str(HOME), "web": web}
    if answers.backup is not None:
        settings["backup"] = {"repository": answers.backup.repository}
    return settings


def render_settings(settings: dict[str, dict | str]) -> str:
    """TOML text of top-level keys then one table each (JSON string quoting is valid TOML)."""
    lines = [HEADER]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items()
              if not isinstance(value, dict)]
    for table, values in settings.items():
        if isinstance(values, dict):
            lines += ["", f"[{table}]", *(f"{key} = {json.dumps(value, ensure_ascii=False)}"
                                          for key, value in values.items())]
    return "\n".join(lines) + "\n"


def write_config(layout: Layout, answers: Answers) -> str:
    """Write /etc/dangan/dangan.toml unless it already holds these settings; raises ProvisioningError."""
    path = layout.config_file
    wanted = wanted_settings(answers)
    existing = _existing(path)
    differing = _differing(existing, wanted) if existing is not None else []
    if existing is not None and not differing:
        return f"{path} already holds these settings (kept)"
    text = render_settings(wanted)
    _check_loads(path, text)
    if existing is not None:
        os.replace(path, path.with_name(path.name + ".previous"))
    write_file(path, text, mode=0o644)
    if differing:
        return f"{path} rewritten ({', '.join(differing)} changed; the old file is dangan.toml.previous)"
    return f"{path} written"


def box_config(layout: Layout) -> Config:
    """The config as written, with its home under the layout's root (the same on the box itself)."""
    config = load_config({ENV_CONFIG: str(layout.config_file)})
    return dataclasses.replace(config, home=layout.home)


def _existing(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}  # unreadable: replaced, and kept as .previous for a person to look at


def _differing(existing: dict, wanted: dict, prefix: str = "") -> list[str]:
    differing = []
    for key, value in wanted.items():
        current = existing.get(key) if isinstance(existing, dict) else None
        if isinstance(value, dict):
            differing += _differing(current if isinstance(current, dict) else {}, value, f"{prefix}{key}.")
        elif current != value:
            differing.append(prefix + key)
    return differing


def _check_loads(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    trial = path.with_name(f".{path.name}.check")
    trial.write_text(text, encoding="utf-8")
    try:
        load_config({ENV_CONFIG: str(trial)})
    except ConfigError as error:
        raise ProvisioningError(f"the config provisioning would write does not load: {error}") from None
    finally:
        trial.unlink()


def install_certificate(layout: Layout, answers: Answers) -> str:
    """The console's certificate and key (0600): imported when the answers give them, else made self-signed.

    A valid pair already there is kept, unless the answers import a different one. Raises ProvisioningError when
    the files there are damaged and nothing was given to replace them.
    """
    current = _current_pair(layout)
    if answers.tls is not None:
        if current == answers.tls:
            return f"imported certificate already installed ({fingerprint(current.certificate)})"
        _install(layout, answers.tls)
        return f"imported ({fingerprint(answers.tls.certificate)})"
    if current is not None:
        return f"kept ({fingerprint(current.certificate)}; names {', '.join(alternative_names(current.certificate))})"
    pair = make_self_signed(answers.hostname, answers.console_names)
    _install(layout, pair)
    return (f"self-signed certificate made for {', '.join(alternative_names(pair.certificate))}; browsers will ask to "
            f"trust it: compare SHA-256 fingerprint {fingerprint(pair.certificate)}")


def _current_pair(layout: Layout) -> TlsPair | None:
    if not layout.certificate.exists():
        return None  # nothing, or a key alone from a run cut short (the key is written first): made anew
    try:
        pair = TlsPair(layout.certificate.read_bytes(), layout.certificate_key.read_bytes())
        check_pair(pair, f"{layout.certificate} and {layout.certificate_key}")
    except (OSError, InvalidInputError) as error:
        raise ProvisioningError(f"the console's certificate is damaged ({error}); move it away and run again, or "
                                "import one with [tls]") from None
    return pair


def _install(layout: Layout, pair: TlsPair) -> None:
    layout.certificate.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    write_file(layout.certificate_key, pair.key, mode=0o600)  # root's: the web unit gets it by LoadCredential=
    write_file(layout.certificate, pair.certificate, mode=0o644)
