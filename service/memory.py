"""Giving memory back to the operating system after large uploads (the probe: one 24 MiB upload left
the web process and the worker near 630 MB long after it was done).

glibc serves a block of at least M_MMAP_THRESHOLD bytes with its own mmap, returned to the system
when freed; but after such a block is freed it raises the threshold (up to 32 MiB), so the next
uploads' texts and byte strings come from the heap, which rarely shrinks. Fixing the threshold keeps
large blocks mmapped. Elsewhere than glibc this does nothing."""

import ctypes
import ctypes.util
import logging

LARGE_BLOCK_BYTES = 1024 * 1024
_M_MMAP_THRESHOLD = -3

log = logging.getLogger("gcu_review.memory")


def _libc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def return_large_blocks_to_the_system() -> bool:
    """Call once at process start (worker, web app). True when glibc took the setting."""
    libc = _libc()
    if libc is None:
        return False
    ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES))
    if not ok:
        log.warning("mallopt(M_MMAP_THRESHOLD) refused; freed upload memory may stay with the process")
    return ok


def trim() -> None:
    """Hand the heap's free pages back (after a large upload or pre-check)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
