"""Which entries of an enrollment folder may be read: regular files inside it, nothing else.

``attendance enroll DIR`` runs with the operator's rights over a folder somebody else may
have filled. So an entry is read only when, with every symbolic link followed, it is a
*regular file* that lies *inside DIR*. Everything else is skipped with its reason and never
opened: a link leading outside DIR (``../../etc/shadow``, ``/home/x/.ssh/id_rsa``), a broken
link, a link loop, a named pipe (opening one for reading would wait for a writer forever), a
socket, a device, a folder where a photo was expected. Manifest paths must be relative and
may not climb out of DIR.

The check and the read are two steps, so :func:`read_regular_file` opens without blocking
and checks again on the open file: a file swapped for a pipe in between is refused, not
waited on.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePath

#: Reasons, as they appear in the summary.
OUTSIDE = "leads outside the enrolled folder (through a symbolic link); not read"
BROKEN_LINK = "is a broken symbolic link (its target does not exist)"
LINK_LOOP = "is a symbolic link loop"
MISSING = "does not exist"


def entry_problem(path: Path, root: Path, *, folder: bool = False) -> str | None:
    """Why ``path`` must not be read as a photo, or None when it is a regular file inside
    ``root`` once every link is followed (with ``folder``: a folder inside ``root``, where
    a student's photos are). Nothing is opened."""
    try:
        own = path.lstat()
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc})"
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        return BROKEN_LINK if stat.S_ISLNK(own.st_mode) else MISSING
    except RuntimeError:  # Python 3.11 reports a loop so
        return LINK_LOOP
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LINK_LOOP
        return f"cannot be examined ({exc.strerror or exc})"
    if not resolved.is_relative_to(root.resolve()):
        return OUTSIDE
    try:
        mode = resolved.stat().st_mode
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc})"
    if folder:
        if stat.S_ISDIR(mode):
            return None
        if stat.S_ISREG(mode):
            return "is a file, not a student folder named '<student number> <name>'"
    return kind_problem(mode)


def kind_problem(mode: int) -> str | None:
    """Why a file of ``mode`` (``st_mode``) is not a photo file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a photo"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file; not opened"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file; not opened"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file; not opened"
    return "is not a regular file; not opened"


def manifest_path_problem(image_path: str) -> str | None:
    """Why a manifest's ``image_path`` is refused before looking at the disk, or None."""
    if PurePath(image_path).is_absolute() or image_path.startswith(("\\", "~")):
        return "is an absolute path; manifest paths are relative to the enrolled folder"
    if os.path.normpath(image_path).split(os.sep, 1)[0] == os.pardir:
        return "leads outside the enrolled folder ('..'); not read"
    return None


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes`` bytes of ``path``; ``OSError`` when it is not (any more) a
    regular file. Opened non-blocking, so a pipe swapped in is refused, not waited on."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        problem = kind_problem(os.fstat(fd).st_mode)
        if problem is not None:
            raise OSError(errno.EINVAL, problem)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1  # the file object closes it now
            return fh.read(max_bytes)
    finally:
        if fd >= 0:
            os.close(fd)


__all__ = ["entry_problem", "kind_problem", "manifest_path_problem", "read_regular_file"]
