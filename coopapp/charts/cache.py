"""A small in-process LRU of rendered charts, and the ETag of a chart's cache key.

The key holds everything the picture depends on: the chart, its parameters, the format,
the data version (the audit chain's length) and the font; the ETag adds the drawing code. Each app process keeps its own
cache; the ETag is the same on every process, so a browser's 304s survive a load balancer.
"""

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

MAX_ENTRIES = 256
MAX_BYTES = 64 * 1024 * 1024


def _code_version() -> str:
    """A digest of the drawing code: a release that changes a chart changes every ETag."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


CODE_VERSION = _code_version()


def etag(key: tuple) -> str:
    """A stable, opaque entity tag for a cache key (and the drawing code's version)."""
    return hashlib.sha256(repr((CODE_VERSION, key)).encode()).hexdigest()[:32]


class ChartCache:
    """Least-recently-used bytes by key, capped by count and total size; thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: tuple, body: bytes) -> None:
        with self._lock:
            if key in self._items:
                self._size -= len(self._items.pop(key))
            self._items[key] = body
            self._size += len(body)
            while self._items and (len(self._items) > self.max_entries or self._size > self.max_bytes):
                _old, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


CACHE = ChartCache()
