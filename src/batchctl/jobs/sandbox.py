"""The Jinja2 environment job files are rendered in: sandboxed, without file access, with bounded work.

A job file may come from a colleague or a repository: rendering it must not run code on the submitter's machine.
- Jinja2's ImmutableSandboxedEnvironment refuses attributes such as `__globals__` and `__init__` (so
  `cycler.__init__.__globals__.os.popen(...)` fails) and methods that change data in place.
  https://jinja.palletsprojects.com/en/stable/sandbox/
- `{% include %}`, `{% import %}`, `{% from %}` and `{% extends %}` are refused: a job file is one file, and
  reading others would let it read any file the submitter can (their text would show in `--dry-run`).
- Work is bounded: `range()` yields at most MAX_RANGE numbers, `*` and `**` may not build huge strings, lists or
  numbers, no string method or width-taking filter takes a count above MAX_COUNT_ARGUMENT, the output is at most
  MAX_OUTPUT_CHARS, and rendering stops after RENDER_SECONDS.
"""

from __future__ import annotations

import math
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RANGE = 10_000  # AWS Batch arrays have at most 10 000 children: no job file needs a longer loop
MAX_OUTPUT_CHARS = 4 * 1024 * 1024
MAX_COUNT_ARGUMENT = 100_000  # widths and counts given to calls and filters (center, indent, ljust, ...)
MAX_INTEGER_BITS = 4096
RENDER_SECONDS = 5.0
# The alarm is only the backstop for one long operation: loops meet the deadline first, where the error still knows
# the template line (an alarm arriving while that error is being raised would replace it with one that does not).
_ALARM_GRACE_SECONDS = 1.0
_COUNT_FILTERS = ("center", "indent", "wordwrap", "truncate", "batch", "slice", "format")
_PASSED_BY_JINJA = (jinja2.Environment, jinja2.runtime.Context, jinja2.nodes.EvalContext)
_FORMAT_WIDTH = re.compile(r"%[-#0 +]*(\d{6,}|\*)|\{[^{}]*:[^{}]*\d{6,}[^{}]*\}")


class RenderLimitError(jinja2.TemplateRuntimeError):
    """Rendering asked for more work than a job file needs (see the module doc)."""


class IncludeRefusedError(jinja2.TemplateRuntimeError):
    """The template tried to include, import or extend another template."""


class _NoIncludes(jinja2.BaseLoader):
    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Callable[[], bool]]:
        raise IncludeRefusedError(
            f"{{% include %}}, {{% import %}} and {{% extends %}} are not allowed in job files (asked for {template!r})"
        )


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, deadline: float) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, loader=_NoIncludes())
        self.deadline = deadline
        self.globals["range"] = self._range
        for name in _COUNT_FILTERS:
            self.filters[name] = _bounded_filter(self.filters[name])

    def _range(self, *args: int) -> Iterator[int]:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise RenderLimitError(f"range() of {len(numbers):,} numbers: job files may loop at most {MAX_RANGE:,}")
        return self._timed(numbers)

    def _timed(self, numbers: range) -> Iterator[int]:
        for number in numbers:
            self.check_deadline()
            yield number

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimitError(f"rendering took more than {RENDER_SECONDS:g} s")

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%":
            _check_format(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # Jinja2 wraps str.format on attribute access; the string's own methods are bound to it.
        method = getattr(__obj, "__wrapped__", __obj)
        if isinstance(getattr(method, "__self__", None), str):  # str.center, ljust, zfill, format, ...
            _check_counts(args, kwargs)
            _check_format(method.__self__)
        return super().call(__context, __obj, *args, **kwargs)


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose arguments after the filtered value are widths or counts, checked before it runs."""

    def bounded(*args: Any, **kwargs: Any) -> Any:
        values = [arg for arg in args if not isinstance(arg, _PASSED_BY_JINJA)]
        if values:
            _check_format(values[0])
        _check_counts(tuple(values[1:]), kwargs)
        return function(*args, **kwargs)

    if hasattr(function, "jinja_pass_arg"):  # tells Jinja2 to pass the environment or context first
        bounded.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return bounded


def render_bounded(text: str, variables: Mapping[str, Any]) -> str:
    """Render `text` in the bounded sandbox; raises jinja2 errors (RenderLimitError for too much work)."""
    environment = BoundedSandbox(deadline=time.monotonic() + RENDER_SECONDS)
    template = environment.from_string(text)
    size = 0
    chunks: list[str] = []
    with _alarm(RENDER_SECONDS, grace=_ALARM_GRACE_SECONDS):
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise RenderLimitError(f"the rendered file is larger than {MAX_OUTPUT_CHARS // 1024 // 1024} MiB")
            environment.check_deadline()
            chunks.append(chunk)
    return "".join(chunks)


@contextmanager
def _alarm(seconds: float, grace: float = 0.0) -> Iterator[None]:
    """Interrupt a render stuck in one long operation (e.g. nested loops over long strings): main thread only."""
    usable = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGALRM) in (
        signal.SIG_DFL,
        None,
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RenderLimitError(f"rendering took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds + grace)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check_repeat(sequence: Any, count: Any) -> None:
    repeatable = isinstance(sequence, str | bytes | list | tuple)
    if repeatable and isinstance(count, int) and len(sequence) * count > MAX_OUTPUT_CHARS:
        raise RenderLimitError(f"repeating {len(sequence):,} items {count:,} times")


def _check_power(base: Any, exponent: Any) -> None:
    numbers = isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1 and exponent > 0
    if numbers and exponent * math.log2(abs(base)) > MAX_INTEGER_BITS:
        raise RenderLimitError(f"{base} ** {exponent} is a number of more than {MAX_INTEGER_BITS} bits")


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _FORMAT_WIDTH.search(text):
        raise RenderLimitError("a format width of 100 000 characters or more")


def _check_counts(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_COUNT_ARGUMENT:
            raise RenderLimitError(f"an argument of {value:,}: calls and filters take at most {MAX_COUNT_ARGUMENT:,}")
