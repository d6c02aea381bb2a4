"""Work items answered side by side in threads, results in input order.

The models run in ONNX Runtime, which releases the GIL: with one intra-op thread per session
(``QA_ONNX_THREADS=1``), two questions on two cores go about twice as fast as one question on
two cores, where a small model's matrices are too small to share well.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_in_threads(fn: Callable[[Item], Result], items: Sequence[Item], workers: int = 1,
                   progress: Callable[[int, int], None] | None = None) -> list[Result]:
    """``[fn(x) for x in items]``, with ``workers`` threads when > 1: the first item alone (it
    loads what the rest share), then the others side by side. ``progress(done, total)`` after
    each item, in the order they finish. Raises ValueError for ``workers`` < 1; an exception of
    ``fn`` is raised here, as a loop would."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    lock = threading.Lock()
    done = 0

    def one(item: Item) -> Result:
        nonlocal done
        result = fn(item)
        with lock:
            done += 1
            if progress:
                progress(done, len(items))
        return result

    if workers == 1 or len(items) < 3:
        return [one(x) for x in items]
    first = one(items[0])
    with ThreadPoolExecutor(workers) as pool:
        return [first, *pool.map(one, items[1:])]
