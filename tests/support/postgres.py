"""A throw-away PostgreSQL cluster from Debian's packages: initdb into a temp dir, a private port.

initdb and postgres refuse to run as root, so as root they run as the `postgres` user.
"""

import os
import pwd
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

SUPERUSER = "dangan"


@dataclass
class PostgresServer:
    base: Path
    port: int
    bin_dir: Path
    run_as: list[str]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str) -> None:
        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(statement)

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.base / "data"), "-m",
                        "immediate", "stop"], capture_output=True, check=False)
        # A suite leaves a thousand databases of some hundred files each: removing them took 40 s at the end of
        # every run, so a detached `rm` does it while the run reports.
        subprocess.Popen(["rm", "-rf", str(self.base)], start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)


def find_bin_dir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql: `make test` installs them")
    return candidates[-1].parent


def start_postgres() -> PostgresServer:
    """Start a private cluster; the caller must stop() it."""
    bin_dir = find_bin_dir()
    base = Path(tempfile.mkdtemp(prefix="dangan-pg-"))
    run_as = _run_as(base)
    port = _free_port()
    data = base / "data"
    _run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
          "--no-sync", "--locale=C.UTF-8"])
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    _run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"])
    server = PostgresServer(base, port, bin_dir, run_as)
    _wait_until_ready(server)
    return server


def _run_as(base: Path) -> list[str]:
    if os.geteuid() != 0:
        return []
    account = pwd.getpwnam("postgres")
    os.chown(base, account.pw_uid, account.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_ready(server: PostgresServer, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            server.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
