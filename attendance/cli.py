"""The ``attendance`` command. Subcommands are discovered from ``attendance.commands``
entry points, so ``enrollment`` and ``webui`` add commands without ``attendance`` importing
them (the layers stay one-way)."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

import click

from . import log_redaction
from .control_chars import control_character_problem


class _PluginGroup(click.Group):
    """A click group that loads its commands from entry points, lazily and sorted.

    It also refuses, before any command runs, every command-line argument holding a control
    character (``attendance.control_chars``): every subcommand's parameters pass through
    here first, so no command stores a NUL byte or an escape sequence.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for position, arg in enumerate(args, start=1):
            problem = control_character_problem(arg, f"command-line argument {position}")
            if problem is not None:
                raise click.UsageError(f"{problem}.", ctx)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = {ep.name for ep in entry_points(group="attendance.commands")}
        return sorted(names | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        for ep in entry_points(group="attendance.commands"):
            if ep.name == cmd_name:
                command: click.Command = ep.load()
                return command
        return None


@click.group(cls=_PluginGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Classroom face-recognition attendance."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log_redaction.install()  # no URL credentials in any log line or traceback
    if not verbose:
        # APScheduler logs every job run at INFO: twice a minute per camera is noise.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
