"""Real database outages for the fault tests: a PostgreSQL server that is really stopped, and
a SQLite file whose write lock another process really holds.

Stopping the machine's shared PostgreSQL would break every other test, so
:class:`PrivatePostgres` runs a throwaway server of its own (``initdb`` in a temporary folder,
its own port, ``fsync`` off) that a test may stop and start. Run as root, the server runs as
the ``postgres`` user (PostgreSQL refuses root). Without the server programs the tests that
need it are skipped, saying so.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

#: A child that takes SQLite's write lock, says "locked", and keeps it until its stdin closes.
_HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""


def postgres_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, or None when the server is not installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivatePostgres:
    """A PostgreSQL server of the test's own, on 127.0.0.1:``port``; :meth:`stop` and
    :meth:`start` really stop and start it. Use :func:`private_postgres` to make one."""

    def __init__(self, bindir: Path, folder: Path) -> None:
        self.bindir, self.folder = bindir, folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.running = False

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): "
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")

    def start(self) -> None:
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c unix_socket_directories={self.folder}")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        self.running = True

    def stop(self) -> None:
        """Stop the server the way an administrator would (``pg_ctl stop -m fast``: open
        transactions are rolled back and every client is disconnected)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        self.running = False

    def close(self) -> None:
        if self.running:
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def private_postgres() -> PrivatePostgres:
    """A started private server (the caller must :meth:`~PrivatePostgres.close` it); skips
    the test when the PostgreSQL server programs are not installed."""
    bindir = postgres_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("the PostgreSQL server programs (initdb, pg_ctl) are not installed, so no "
                    "private server can be stopped and started")
    folder = Path(tempfile.mkdtemp(prefix="attendance-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    server = PrivatePostgres(bindir, folder)
    try:
        server.init()
        server.start()
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server


class SqliteLock:
    """Another process holding the write lock of the SQLite file ``path``, from
    :meth:`take` until :meth:`release` (as a backup tool or a stuck program would)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: subprocess.Popen[str] | None = None

    @property
    def held(self) -> bool:
        return self.process is not None

    def take(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLD_LOCK, str(self.path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != "locked":
            self.process.kill()
            self.process.communicate()
            raise RuntimeError(f"the lock-holding process did not take the lock: {line!r}")

    def release(self) -> None:
        if self.process is None:
            return
        self.process.communicate(timeout=60)  # closes its stdin: the lock is given back
        self.process = None


class OutageDatabase:
    """An empty database with the ORM schema that :meth:`go_down` makes unreachable for
    real and :meth:`come_back` restores: ``postgresql`` (the private server is stopped) or
    ``sqlite`` (another process holds the file's write lock)."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.server: PrivatePostgres | None = None
        self.lock: SqliteLock | None = None
        if kind == "postgresql":
            self.server = private_postgres()
            self.url = self.server.url
        elif kind == "sqlite":
            path = folder / "outage.sqlite3"
            self.lock = SqliteLock(path)
            self.url = f"sqlite:///{path}"
        else:
            raise ValueError(f"unknown database kind {kind!r}")
        self.down = False

    @property
    def how(self) -> str:
        return "PostgreSQL server stopped" if self.server else "SQLite write lock held"

    def go_down(self) -> None:
        if self.server:
            self.server.stop()
        elif self.lock:
            self.lock.take()
        self.down = True

    def come_back(self) -> None:
        if self.server:
            self.server.start()
        elif self.lock:
            self.lock.release()
        self.down = False

    def close(self) -> None:
        if self.lock:
            self.lock.release()
        if self.server:
            self.server.close()
