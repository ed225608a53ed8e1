"""Running an import's reading and checking beside the thread that writes.

The writer consumes batches of prepared object versions from a generator.
:func:`in_background` runs that generator in a thread (the database drivers
release the GIL while they work, so reading and checking overlap the
writes); :func:`in_process` runs it in a forked process, so that parsing,
checking and pattern validation use a second core, and replays the
rejections and notes the child added to its copy of the report.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

from cirx.errors import CirxError, InvalidInput, InvalidObject, StoreError
from cirx.ingest.report import ImportReport

T = TypeVar("T")


_GC_LOCK = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while at least one caller is inside (callers may overlap).

    An import allocates millions of short-lived containers and makes no cycles
    worth collecting; collections meanwhile would only promote its objects and
    rescan them.
    """
    global _gc_pausers, _gc_was_enabled
    with _GC_LOCK:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def in_process(batches: Iterator[T], report: ImportReport) -> Iterator[T]:
    """Run the checking generator in a forked process; yield its batches here.

    The child sends each batch of prepared versions (pickled) with the
    rejections, notes and read count it added to its copy of ``report``; this
    side replays them onto ``report``.
    """
    context = multiprocessing.get_context("fork")
    handover: Any = context.Queue(maxsize=4)
    child = context.Process(target=_produce_in_child, args=(batches, report, handover), daemon=True)
    child.start()
    try:
        while True:
            kind, payload, rejected, notes, read = handover.get()
            report.read = read
            report.rejected.extend(InvalidObject(*r) for r in rejected)
            report.notes.extend(notes)
            if kind == "batch":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def _produce_in_child(batches: Iterator[Any], report: ImportReport, handover: Any) -> None:
    sent_rejections, sent_notes = len(report.rejected), len(report.notes)

    def news() -> tuple[list[tuple[str, str | None, str]], list[str]]:
        nonlocal sent_rejections, sent_notes
        rejected = [(r.object_ref, r.property, r.reason) for r in report.rejected[sent_rejections:]]
        notes = report.notes[sent_notes:]
        sent_rejections, sent_notes = len(report.rejected), len(report.notes)
        return rejected, notes

    try:
        for batch in batches:
            handover.put(("batch", batch, *news(), report.read))
        handover.put(("done", None, *news(), report.read))
    except CirxError as exc:
        handover.put(("error", InvalidInput(str(exc)) if isinstance(exc, InvalidObject) else exc,
                      *news(), report.read))
    except Exception as exc:  # handed to the parent, which raises it
        handover.put(("error", StoreError(f"{report.source}: reading failed: {exc}"), *news(), report.read))


_DONE = object()


def in_background(batches: Iterator[T], depth: int = 4) -> Iterator[T]:
    """Run a generator in a thread, handing its items over through a bounded queue.

    An exception in the generator is re-raised here; if the consumer stops
    early, the thread is told to stop and drains.
    """
    handover: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                if stop.is_set():
                    return
                handover.put(item)
            handover.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            handover.put(_Failure(exc))

    thread = threading.Thread(target=produce, name="cirx-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                handover.get(timeout=0.05)
        thread.join()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
