"""Autogenerate a migration from the ORM against a scratch SQLite database at head.

Usage: python scripts/new_migration.py "what changed"   (then review the file by hand)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from attendance import migrate


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "change"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.sqlite3'}"
        migrate.upgrade(url)
        command.revision(migrate.alembic_config(url), message=message, autogenerate=True)


if __name__ == "__main__":
    main()
