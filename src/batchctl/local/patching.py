"""Reversible monkey-patching, so that every compatibility patch can be applied, reverted and re-applied.

A patch is a function that changes moto through :func:`replace_attribute` (or :func:`record_undo`). Both record
how to undo the change in the :class:`PatchSet` that is applying the patch, so a test can run a scenario with and
without one patch and prove that the patch is what closes the gap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_MISSING = object()
_recording = threading.local()


def _record(undo: Callable[[], None]) -> None:
    undo_steps: list[Callable[[], None]] | None = getattr(_recording, "undo_steps", None)
    if undo_steps is None:
        raise RuntimeError("a compatibility patch changed moto outside of PatchSet.apply()")
    undo_steps.append(undo)


def record_undo(undo: Callable[[], None]) -> None:
    """Record a change made by other means than the two helpers below, with the step that undoes it."""
    _record(undo)


def replace_attribute(owner: Any, name: str, value: Any) -> None:
    """Set ``owner.name`` to ``value``; undo restores the attribute exactly (or removes it if it was inherited)."""
    original = vars(owner).get(name, _MISSING) if isinstance(owner, type) else getattr(owner, name, _MISSING)
    setattr(owner, name, value)

    def undo() -> None:
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)

    _record(undo)


class PatchSet:
    """Named patches, applied at most once each, in registration order."""

    def __init__(self) -> None:
        self._patches: dict[str, Callable[[], None]] = {}
        self._applied: dict[str, list[Callable[[], None]]] = {}
        self._lock = threading.RLock()

    def register(self, func: Callable[[], None]) -> Callable[[], None]:
        """Register ``func`` under its own name and return a function that applies it once."""
        name = func.__name__
        self._patches[name] = func

        def apply_once() -> None:
            self.apply(name)

        apply_once.__name__ = name
        apply_once.__qualname__ = func.__qualname__
        apply_once.__doc__ = func.__doc__
        apply_once.__module__ = func.__module__
        return apply_once

    @property
    def names(self) -> list[str]:
        return list(self._patches)

    @property
    def applied(self) -> list[str]:
        return list(self._applied)

    def apply(self, name: str) -> None:
        with self._lock:
            if name in self._applied:
                return
            _recording.undo_steps = []
            try:
                self._patches[name]()
                self._applied[name] = _recording.undo_steps
            except BaseException:
                for undo in reversed(_recording.undo_steps):
                    undo()
                raise
            finally:
                _recording.undo_steps = None

    def apply_all(self) -> None:
        for name in self._patches:
            self.apply(name)

    def revert_all(self) -> None:
        with self._lock:
            for name in reversed(list(self._applied)):
                for undo in reversed(self._applied.pop(name)):
                    undo()

    @contextmanager
    def without(self, name: str) -> Iterator[None]:
        """Run a block with every currently applied patch except ``name``, then restore the previous set.

        Patches may wrap the same attribute in layers, so the whole stack is reverted and re-applied in order
        rather than peeling out one layer.
        """
        if name not in self._patches:
            raise KeyError(f"unknown compatibility patch: {name}")
        with self._lock:
            previously_applied = self.applied
            self.revert_all()
            try:
                for other in previously_applied:
                    if other != name:
                        self.apply(other)
                yield
            finally:
                self.revert_all()
                for other in previously_applied:
                    self.apply(other)
