"""Where provisioning writes: the paths of a box under a root (`/` on the box, a temp directory in tests and image
builds), and the one careful way every file is written."""

import os
from dataclasses import dataclass
from pathlib import Path

LIVE_ROOT = Path("/")
HOME = Path("/var/lib/dangan")  # the data home as the box sees it (StateDirectory=dangan)
CONFIG_FILE = Path("/etc/dangan/dangan.toml")
CERTIFICATE = Path("/etc/dangan/tls/console.crt")
CERTIFICATE_KEY = Path("/etc/dangan/tls/console.key")


@dataclass(frozen=True)
class Layout:
    """The box's files under `root`."""

    root: Path = LIVE_ROOT

    @property
    def live(self) -> bool:
        """Provisioning the running system itself, not a tree under another root."""
        return self.root.resolve() == LIVE_ROOT

    def under(self, path: Path) -> Path:
        return self.root / path.relative_to("/")

    @property
    def home(self) -> Path:
        return self.under(HOME)

    @property
    def secrets(self) -> Path:
        return self.home / "secrets"

    @property
    def marker(self) -> Path:
        return self.home / ".provisioned"

    @property
    def paper_key(self) -> Path:
        return self.secrets / "paper-key.txt"

    @property
    def config_file(self) -> Path:
        return self.under(CONFIG_FILE)

    @property
    def certificate(self) -> Path:
        return self.under(CERTIFICATE)

    @property
    def certificate_key(self) -> Path:
        return self.under(CERTIFICATE_KEY)

    def etc(self, name: str) -> Path:
        return self.root / "etc" / name


def write_file(path: Path, content: bytes | str, mode: int = 0o644) -> None:
    """Write a whole file durably under a temporary name, then rename it in: a crash leaves the old or the new."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # the umask may have narrowed it
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_text(path: Path) -> str:
    """The file's text, or "" when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
