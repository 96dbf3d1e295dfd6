"""Private files: the audit store, keys and exports are readable by their owner only (R-28, SPEC §5)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["PRIVATE_UMASK", "restrict_store", "restrict_tree", "private_umask"]

PRIVATE_UMASK = 0o077  # new files 0600, new directories 0700
_log = logging.getLogger("audit")


def private_umask() -> None:
    """Files this process creates from now on (SQLite -wal/-shm included) are 0600, directories 0700."""
    os.umask(PRIVATE_UMASK)


def restrict_tree(root: Path) -> int:
    """Directories to 0700 and regular files to 0600 under ``root`` (what existed before the umask);
    symlinks and sockets are left alone, files of another owner are logged, not fatal. Returns how
    many modes were changed."""
    changed = 0
    if not root.is_dir():
        return 0
    for path in _walk(root):
        try:
            info = path.lstat()
        except OSError:
            continue  # removed meanwhile
        if stat.S_ISDIR(info.st_mode):
            wanted = 0o700
        elif stat.S_ISREG(info.st_mode):
            wanted = 0o600
        else:
            continue
        if stat.S_IMODE(info.st_mode) != wanted:
            try:
                os.chmod(path, wanted)
                changed += 1
            except OSError as exc:
                _log.warning("cannot restrict %s to %o: %s", path, wanted, exc)
    return changed


def _walk(root: Path):
    yield root
    for top, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            yield Path(top, name)


def restrict_store(settings) -> int:
    """The audit's own files: the SQLite store (+ -wal/-shm) and its directory, keys, exports.
    The data directory may be the portal's: its other files are the portal's business."""
    changed = 0
    if settings.data_dir.is_dir():
        changed += _restrict(settings.data_dir, 0o700)
        for path in settings.data_dir.glob(settings.sqlite_path.name + "*"):
            changed += _restrict(path, 0o600)
    for path in {settings.key_dir, settings.export_dir}:
        changed += restrict_tree(path)
    return changed


def _restrict(path: Path, wanted: int) -> int:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == wanted:
            return 0
        os.chmod(path, wanted)
        return 1
    except OSError as exc:
        _log.warning("cannot restrict %s to %o: %s", path, wanted, exc)
        return 0
