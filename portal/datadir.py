"""The data directory is private to the portal's account: 0700, files 0600 (SPEC §5, R-28).

SQLite files, their -wal/-shm companions, the secret key, uploads, the embedded audit store, its
keys and exports all live there. The umask makes new files private; ``secure_data_dir`` also
tightens what an earlier version (or a copy) left readable by others.
"""

from __future__ import annotations

from audit.files import private_umask, restrict_tree
from portal.settings import Settings, get_settings

__all__ = ["secure_data_dir"]


def secure_data_dir(settings: Settings | None = None) -> int:
    """Set the private umask, create the data dir 0700 and restrict what is in it; returns the
    number of modes changed. The audit store's own directories are restricted too when they live
    elsewhere (AUDIT_DATA_DIR, AUDIT_KEY_DIR, AUDIT_EXPORT_DIR)."""
    from audit.settings import get_settings as audit_settings

    private_umask()
    settings = settings or get_settings()
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    changed = restrict_tree(settings.data_dir)
    audit = audit_settings()
    for path in {audit.data_dir, audit.key_dir, audit.export_dir}:
        if not path.is_relative_to(settings.data_dir):
            changed += restrict_tree(path)
    return changed
