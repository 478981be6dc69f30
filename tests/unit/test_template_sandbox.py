"""Job templates render in a bounded sandbox: no code runs, no other file is read, no render runs away."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from batchctl.errors import ConfigError
from batchctl.jobs.sandbox import MAX_RANGE
from batchctl.jobs.template import render


def _refusal(text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        render(text, {}, "jobs.yaml")
    return raised.value.message


def test_popen_through_globals_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    message = _refusal(f"jobs:\n  - {{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}\n")
    assert message.startswith("jobs.yaml:2: template refused: access to attribute '__init__'")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ lipsum.__globals__['os'] }}", "'__globals__'"),
        ("{{ ''.__class__.__mro__ }}", "'__class__'"),
        ("{% set l = [] %}{{ l.append(1) }}", "'append'"),
        ("{% include '/etc/hostname' %}", "{% include %}"),
        ("{% import 'x.j2' as x %}", "{% import %}"),
        ("{% extends 'base.yaml' %}", "are not allowed in job files"),
        ("{% for i in range(10**9) %}{% endfor %}", f"job files may loop at most {MAX_RANGE:,}"),
        ("{{ 'a' * 10**9 }}", "repeating 1 items"),
        ("{{ 7 ** 100000 }}", "bits"),
        ("{{ 'x' | center(10**9) }}", "calls and filters take at most"),
        ("{{ '%0999999999d' % 1 }}", "format width"),
        ("{{ '{:999999999}'.format(1) }}", "format width"),
        ("{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}", "larger than 4 MiB"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "calls itself"),
    ],
)
def test_unsafe_or_unbounded_templates_are_refused(text: str, expected: str) -> None:
    message = _refusal(text)
    assert message.startswith("jobs.yaml")
    assert "template refused" in message and expected in message


def test_nested_loops_stop_at_the_time_limit() -> None:
    started = time.monotonic()
    message = _refusal("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}")
    assert "rendering took more than" in message
    assert time.monotonic() - started < 30  # loose: the limit is a few seconds


def test_ordinary_templates_still_render() -> None:
    text = "{{ [1, 2] | join(',') }} {{ 'ab' | indent(2) }} {{ '%3d' | format(7) }} {{ range(3) | list }} {{ 2 ** 10 }}"
    assert render(text, {}, "jobs.yaml") == "1,2 ab   7 [0, 1, 2] 1024"
