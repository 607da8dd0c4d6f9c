"""A real, throwaway PostgreSQL server for tests and CI: own cluster, own port, random password, gone after
stop().

Uses the server binaries of the Debian `postgresql` package (/usr/lib/postgresql/<version>/bin, installed by
`.ci/install_system_packages.sh`), never the system cluster. PostgreSQL refuses to run as root, so when the
tests run as root the cluster belongs to the `postgres` OS user and its commands run through `runuser`.
Durability is switched off (fsync, synchronous_commit): the data is thrown away anyway and start-up stays
fast.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg2

ADMIN_USER = "edusandbox_admin"
DATABASE = "edusandbox"
HOST = "127.0.0.1"
OS_USER_WHEN_ROOT = "postgres"
PG_BIN_ENV = "EDUSANDBOX_PG_BIN"
INSTALL_HINT = "run `bash .ci/install_system_packages.sh` as root to install the PostgreSQL server binaries"
START_ATTEMPTS = 3


class PgHarnessError(RuntimeError):
    """The throwaway server could not be set up (binaries missing, start-up failed)."""


@dataclass
class PgServer:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str
    root: Path
    """Folder holding the cluster, its socket and its log; removed by stop()."""
    bin_dir: Path
    run_as: list[str] = field(default_factory=list, repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def url(self) -> str:
        """SQLAlchemy URL, password included (quoted): for tests only, never log it."""
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        return (f"postgresql+psycopg2://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
                f"@{self.host}:{self.port}/{dbname}")

    def connect(self, dbname: str | None = None) -> psycopg2.extensions.connection:
        return psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                dbname=dbname or self.dbname)

    def fresh_database(self, dbname: str) -> str:
        """An empty database of that name (dropped first if a test left one), for a test that must not share
        the default database's schemas; returns its URL."""
        connection = self.connect(dbname="postgres")
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(f'drop database if exists "{dbname}"')
                cursor.execute(f'create database "{dbname}" encoding \'UTF8\' template template0')
        finally:
            connection.close()
        return self.url_for(dbname)

    def stop(self) -> None:
        """Fast shutdown (rolls back open transactions), then delete the whole cluster folder. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if (self.data_dir / "postmaster.pid").exists():
            subprocess.run([*self.run_as, str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir),
                            "-m", "fast", "-w", "-t", "60"], cwd=self.root, capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def find_pg_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, or $EDUSANDBOX_PG_BIN when set."""
    if override := os.environ.get(PG_BIN_ENV):
        candidates = [Path(override)]
    else:
        versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin")
                    if re.fullmatch(r"\d+", p.parent.name)]
        candidates = sorted(versions, key=lambda p: int(p.parent.name), reverse=True)
    for bin_dir in candidates:
        if all((bin_dir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bin_dir
    raise PgHarnessError(f"PostgreSQL server binaries (initdb, pg_ctl) not found in "
                         f"{candidates or '/usr/lib/postgresql/<version>/bin'}: {INSTALL_HINT}")


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it); start-up retries if someone takes it
    meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PgHarnessError(f"{what} failed ({done.returncode}): "
                             f"{done.stderr.strip() or done.stdout.strip()}")


def _owner_and_prefix() -> tuple[tuple[int, int] | None, list[str]]:
    """(uid, gid) to chown the cluster to, and the command prefix, when we must not run postgres as
    ourselves."""
    if os.geteuid() != 0:
        return None, []
    try:
        account = pwd.getpwnam(OS_USER_WHEN_ROOT)
    except KeyError as err:
        raise PgHarnessError(f"running as root but there is no `{OS_USER_WHEN_ROOT}` OS user: "
                             f"{INSTALL_HINT}") from err
    return (account.pw_uid, account.pw_gid), ["runuser", "-u", OS_USER_WHEN_ROOT, "--"]


def _cluster_root(base_dir: Path, owner: tuple[int, int] | None, run_as: list[str]) -> Path:
    """A fresh folder under base_dir for the cluster; if the postgres user cannot reach base_dir (pytest's
    temp folders are private to root), a fresh private folder in the system temp dir instead."""
    base_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="pg-", dir=base_dir))
    if owner is None:
        return root
    os.chown(root, *owner)
    reachable = subprocess.run([*run_as, "test", "-w", str(root)], capture_output=True, check=False)
    if reachable.returncode == 0:
        return root
    root.rmdir()
    root = Path(tempfile.mkdtemp(prefix="edusandbox-pg-"))
    os.chown(root, *owner)
    return root


def _write_server_settings(data_dir: Path, socket_dir: Path, port: int) -> None:
    # Appended to postgresql.conf (last setting wins), so paths need no shell quoting through pg_ctl -o.
    settings = {
        "listen_addresses": f"'{HOST}'",
        "port": str(port),
        "unix_socket_directories": f"'{socket_dir}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "wal_level": "minimal",
        "max_wal_senders": "0",
        "max_wal_size": "'2GB'",
        "password_encryption": "'scram-sha-256'",
        "log_min_messages": "warning",
    }
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# edusandbox test harness\n")
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())


def _initdb(server: PgServer, owner: tuple[int, int] | None) -> None:
    pwfile = server.root / "pwfile"
    pwfile.write_text(server.password + "\n", encoding="utf-8")
    pwfile.chmod(0o600)
    if owner is not None:
        os.chown(pwfile, *owner)
    try:
        _run([*server.run_as, str(server.bin_dir / "initdb"), "-D", str(server.data_dir), "-U", server.user,
              f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync",
              "--no-instructions"], server.root, "initdb")
    finally:
        pwfile.unlink(missing_ok=True)


def _start(server: PgServer) -> None:
    _run([*server.run_as, str(server.bin_dir / "pg_ctl"), "start", "-D", str(server.data_dir),
          "-l", str(server.log_file), "-w", "-t", "60"], server.root, "pg_ctl start")


def start_postgres(base_dir: Path) -> PgServer:
    """Start a fresh PostgreSQL cluster listening on 127.0.0.1 only, with superuser `edusandbox_admin`
    (password random per call, scram-sha-256) and an empty database `edusandbox`. Call stop() when done."""
    bin_dir = find_pg_bin_dir()
    owner, run_as = _owner_and_prefix()
    root = _cluster_root(Path(base_dir), owner, run_as)
    server = PgServer(host=HOST, port=0, user=ADMIN_USER, password=secrets.token_urlsafe(24), dbname=DATABASE,
                      root=root, bin_dir=bin_dir, run_as=run_as)
    try:
        _initdb(server, owner)
        socket_dir = root / "socket"
        socket_dir.mkdir(mode=0o700)
        if owner is not None:
            os.chown(socket_dir, *owner)
        for attempt in range(1, START_ATTEMPTS + 1):
            server.port = free_port()
            _write_server_settings(server.data_dir, socket_dir, server.port)
            try:
                _start(server)
                break
            except PgHarnessError:
                # Most likely the port was taken between choosing and binding it: pick another.
                if attempt == START_ATTEMPTS:
                    raise
                time.sleep(0.2)
        server.fresh_database(server.dbname)
    except BaseException as err:
        log = (server.log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
               if server.log_file.exists() else "")
        server.stop()
        if isinstance(err, PgHarnessError) and log:
            raise PgHarnessError(f"{err}\nserver log (tail):\n{log}") from err
        raise
    atexit.register(server.stop)  # a crashed test session must not leave a server running
    return server


if __name__ == "__main__":
    started = time.perf_counter()
    with start_postgres(Path(tempfile.gettempdir())) as pg:
        print(f"started {pg.bin_dir} on {pg.host}:{pg.port} in {time.perf_counter() - started:.2f} s")
        with pg.connect() as c, c.cursor() as cur:
            cur.execute("select version(), current_user, current_database()")
            print(cur.fetchone())
