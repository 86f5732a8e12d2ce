"""``attendance bench``: benchmarks. Each subcommand lives in its own ``bench_*`` module."""

from __future__ import annotations

import click

from .bench_worker import worker


@click.group()
def bench() -> None:
    """Measure how fast the pieces run on this machine."""


bench.add_command(worker)

# Classroom simulation and speed figures (attendance/bench/).
from .bench.commands import classroom, speed  # noqa: E402 - appended after the group on purpose

bench.add_command(classroom)
bench.add_command(speed)
