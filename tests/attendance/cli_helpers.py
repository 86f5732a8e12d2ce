"""Running the ``attendance`` command in-process against a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from attendance.cli import main
from attendance.db import Base, make_engine, make_session_factory


@dataclass(frozen=True)
class Cli:
    """Invoke ``attendance ...`` with the test's instance folder and database."""

    instance: Path
    database_url: str

    def __call__(self, *args: str, input: str | None = None) -> Result:  # noqa: A002
        env = {
            "ATTENDANCE_INSTANCE_PATH": str(self.instance),
            "ATTENDANCE_DATABASE_URL": self.database_url,
        }
        return CliRunner().invoke(main, list(args), env=env, input=input)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the same database, to check what the command wrote."""
        engine = make_engine(self.database_url)
        try:
            with make_session_factory(engine)() as session:
                yield session
        finally:
            engine.dispose()


def make_cli(tmp_path: Path) -> Cli:
    """An empty schema (``create_all``, not migrations) in ``tmp_path``."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return Cli(tmp_path / "instance", url)
