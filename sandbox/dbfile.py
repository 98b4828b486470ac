"""The database file before SQLite opens it: private, and really a sandbox database.

The database holds every seed user's API key and password and every live token in plain
text, so it must be ``0600`` and the default directory ``0700``. SQLite creates the file
(and its ``-wal`` and ``-shm`` files) itself, with the process umask applied, so the server
runs under umask ``077`` (`PRIVATE_UMASK`) rather than creating an empty file here, which a
failed start would leave behind looking like a truncated database.

A file that cannot be the sandbox's world is refused with one line instead of being quietly
re-seeded or failing later: an empty file (a truncation, or a stray ``touch``) needs
``--reset``, and a file that is not SQLite at all is never touched.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PRIVATE_UMASK", "DatabaseFileError", "Prepared", "prepare", "tighten"]

PRIVATE_UMASK = 0o077

SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite 3 database
SIDE_FILES = ("-wal", "-shm")


class DatabaseFileError(Exception):
    """The database file cannot be used; the message is one line naming it."""


@dataclass(frozen=True)
class Prepared:
    """What `prepare` found: no file yet, or an empty one to be seeded."""

    created: bool  # the file does not exist yet
    empty: bool


def prepare(path: str, *, private_dir: bool, reset: bool) -> Prepared:
    """Make `path` ready for SQLite: the directory and the checks of an existing file.

    `private_dir` makes (or tightens) the parent directory to 0700; it is set for the
    default location, which belongs to the sandbox, not for a directory the user named.
    Raises `DatabaseFileError` for an empty file without `reset`, a file that is not an
    SQLite database, or a path that cannot be created.
    """
    file = Path(path)
    parent = file.parent
    try:
        if not parent.exists():
            parent.mkdir(parents=True, mode=0o700)
        elif private_dir and stat.S_IMODE(parent.stat().st_mode) & 0o077:
            parent.chmod(0o700)
        try:
            st = file.stat()
        except FileNotFoundError:
            return Prepared(created=True, empty=True)  # SQLite creates it, under our umask
        if not stat.S_ISREG(st.st_mode):
            raise DatabaseFileError(f"{path} is not a regular file; use another --db")
        if st.st_size == 0:
            if not reset:
                raise DatabaseFileError(
                    f"{path} is empty (0 bytes), not a sandbox database; it may have been "
                    "truncated. Start with --reset to seed a fresh world into it, or remove it."
                )
        else:
            with open(file, "rb") as f:
                head = f.read(len(SQLITE_MAGIC))
            if head != SQLITE_MAGIC:
                raise DatabaseFileError(
                    f"{path} is not an SQLite database (damaged, or another kind of file); "
                    "move it away or start with another --db."
                )
        return Prepared(created=False, empty=st.st_size == 0)
    except OSError as e:
        raise DatabaseFileError(f"cannot use {path}: {e.strerror or e}") from None


def tighten(path: str) -> tuple[str, ...]:
    """Make the database and its side files private; returns what was changed.

    Called once SQLite has accepted the file as the sandbox's own, so another program's
    database that is refused keeps its mode.
    """
    changed = []
    for candidate in (Path(path), *(Path(f"{path}{suffix}") for suffix in SIDE_FILES)):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077 and candidate.stat().st_uid == os.geteuid():
            candidate.chmod(mode & 0o700)
            changed.append(f"{candidate} (was {mode:04o})")
    return tuple(changed)
