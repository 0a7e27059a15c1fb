"""Building a large answer without Python's cycle collector running in the middle of it.

A county's comparison makes some 100,000 dicts, lists, tuples and Decimals in one go, all of them
alive until the answer is written. Every 700 of them the cycle collector runs and walks the young
ones — a dozen collections an answer, about a tenth of its time — and finds nothing: these
structures hold no reference cycles, and reference counting frees them when the request ends.
`paused` switches the collector off for such a build and back on after it (if it was on: a caller
or another thread that paused it keeps it paused). Cyclic garbage made meanwhile, if any, waits for
the next collection.
"""

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    """No cycle collection inside the block (reference counting goes on as ever)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
