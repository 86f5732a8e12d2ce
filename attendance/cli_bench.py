"""``attendance bench``: benchmarks. Each subcommand lives in its own ``bench_*`` module."""

from __future__ import annotations

import click

from .bench_worker import worker


@click.group()
def bench() -> None:
    """Measure how fast the pieces run on this machine."""


bench.add_command(worker)
