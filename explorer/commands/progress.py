"""A progress bar on stderr for long CLI work (a no-op when disabled)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def progress_bar(desc: str, total: int, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """Yield ``update(done, total)``; draws a tqdm bar on stderr when enabled."""
    if not enabled:
        yield lambda done, tot: None
        return
    from tqdm import tqdm

    # disable=None: no bar when stderr is not a terminal (scripts, CI logs).
    bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False, disable=None)

    def update(done: int, tot: int) -> None:
        if tot != bar.total:
            bar.total = tot
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()
