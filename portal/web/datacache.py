"""In-process caches of public page data that are never stale: an entry is kept only while the
database's data version (``portal.db.data_version``: SQLite's ``data_version``, PostgreSQL's current
snapshot) and the China date are what they were when it was computed. Any committed write, by any
process, empties the cache at the next request; the date matters because what is public depends
on it (R-24 publication periods)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from portal.db import data_version
from portal.lib.dates import today_cn


class VersionedCache:
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._stamp: object = None
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self.hits = self.misses = 0

    async def get(self, key: Any, compute: Callable[[], Awaitable[Any]]) -> Any:
        from piccolo_conf import DB

        # Read the version before computing: a write landing meanwhile changes it, so what is
        # stored under this stamp is at least as new as the stamp.
        stamp = (await data_version(DB), today_cn())
        if stamp != self._stamp:
            self._entries.clear()
            self._stamp = stamp
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return self._entries[key]
        self.misses += 1
        value = await compute()
        if self._stamp == stamp:
            self._entries[key] = value
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()
        self._stamp = None
