"""``attendance serve``: options, discovery through the entry point, the worker hook."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from attendance.cli import main
from attendance.worker import WorkerState
from tests.conftest import make_settings
from webui import cli
from webui.workers import WORKERS_KEY


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[Flask, str, int]]:
    calls: list[tuple[Flask, str, int]] = []
    monkeypatch.setenv("ATTENDANCE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setattr(cli, "_serve_wsgi", lambda app, host, port: calls.append((app, host, port)))
    return calls


def test_serve_refuses_an_unmigrated_database(served: list[tuple[Flask, str, int]]) -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1
    assert "run: attendance db upgrade" in result.output
    assert served == []


def test_serve_is_discovered_and_runs_the_app(served: list[tuple[Flask, str, int]]) -> None:
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(main, ["serve", "--no-worker", "--port", "5123"])
    assert result.exit_code == 0, result.output
    ((app, host, port),) = served
    assert (host, port) == ("127.0.0.1", 5123)
    assert "courses.index" in {rule.endpoint for rule in app.url_map.iter_rules()}
    app.extensions["attendance.engine"].dispose()


def test_worker_hook_starts_and_stops(
    served: list[tuple[Flask, str, int]], tmp_path: Path
) -> None:
    events: list[str] = []

    class Workers:
        def states(self) -> list[WorkerState]:
            return []

        def stop(self) -> None:
            events.append("stop")

    def worker(settings: object) -> Workers:
        events.append("start")
        return Workers()

    app = Flask(__name__)
    cli.run_server(app, host="0.0.0.0", port=8000, worker=worker,  # noqa: S104
                   settings=make_settings(tmp_path))
    assert events == ["start", "stop"]
    assert isinstance(app.extensions[WORKERS_KEY], Workers)
    assert served == [(app, "0.0.0.0", 8000)]  # noqa: S104


def test_serve_rejects_a_bad_port(served: list[tuple[Flask, str, int]]) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert served == []
