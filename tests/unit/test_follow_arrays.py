"""Following a big array: its children's streams as they start, every line once, then drained after the end."""

from __future__ import annotations

import math
from collections import defaultdict

from tests.unit.fake_cloudwatch import FakeBatch, FakeLogs
from tests.unit.test_jobs_api import T0
from tests.unit.test_submit_pacing import Clock

from batchctl.jobs import follow as following
from batchctl.jobs.call_meter import CallMeter
from batchctl.jobs.follow import LogLine, Notice
from batchctl.jobs.pacing import AdaptiveRateLimiter
from batchctl.jobs.stream_set import FILTER_CALLS_PER_SECOND

CHILDREN = 300


def child(index: int) -> str:
    return f"parent:{index}"


def scenario(logs: FakeLogs) -> tuple[FakeBatch, list[tuple[str, str]]]:
    """Child i starts at poll i // 100 (so the set grows), prints a line on each of its 3 running polls and
    one more line that CloudWatch Logs receives only after the job has SUCCEEDED."""

    def script(poll: int) -> dict[str, tuple[str, str | None]]:
        states: dict[str, tuple[str, str | None]] = {}
        for index in range(CHILDREN):
            start = index // 100
            stream = f"job/default/{index}"
            if poll < start:
                states[child(index)] = ("RUNNABLE", None)
            elif poll < start + 3:
                logs.put(stream, T0 + poll * 1000 + index, f"{index} line {poll - start}")
                states[child(index)] = ("RUNNING", stream)
            else:
                if poll == start + 3:
                    logs.put(stream, T0 + poll * 1000 + index, f"{index} last line")
                states[child(index)] = ("SUCCEEDED", stream)
        return states

    return FakeBatch(script), [(child(index), f"chatty[{index}]") for index in range(CHILDREN)]


def test_every_child_line_once_in_order_with_few_calls() -> None:
    clock = Clock()
    logs = FakeLogs(clock=clock)
    batch, jobs = scenario(logs)
    batch.clock = clock
    meter = CallMeter(clock=clock)
    pace = AdaptiveRateLimiter(FILTER_CALLS_PER_SECOND, clock=clock, sleep=clock.sleep)
    items = list(following.follow(batch, logs, None, jobs, "t", sleep=clock.sleep, pace=pace, meter=meter))  # type: ignore[arg-type]
    lines: dict[str, list[str]] = defaultdict(list)
    endings = {}
    for item in items:
        if isinstance(item, LogLine):
            lines[item.label].append(item.event.message)
        elif isinstance(item, Notice) and item.text == "SUCCEEDED":
            endings[item.label] = item.text
    expected = {f"chatty[{i}]": [f"{i} line {n}" for n in range(3)] + [f"{i} last line"] for i in range(CHILDREN)}
    assert lines == expected  # each line once, each stream in order, the late last line drained
    assert len(endings) == CHILDREN
    assert meter.streams == CHILDREN
    assert logs.get_calls == []
    # Polls: children start at 0, 1, 2; each runs 3 polls, ends at start + 3 and is drained at start + 4: 7 polls.
    assert batch.poll == 7
    # Child group g is described on polls 0 to g + 4 (drained then): 300 children on polls 0-4, 200, then 100.
    assert len(batch.calls) == 5 * 3 + 2 + 1
    assert len(logs.filter_calls) <= 7 * math.ceil(CHILDREN / 100)


def test_the_same_lines_one_get_log_events_loop_per_stream_cost_a_call_per_stream() -> None:
    clock = Clock()
    logs = FakeLogs(clock=clock)
    batch, jobs = scenario(logs)
    items = following.follow(batch, logs, None, jobs, "t", sleep=clock.sleep, reads="per-stream")  # type: ignore[arg-type]
    lines = [item for item in items if isinstance(item, LogLine)]
    assert len(lines) == CHILDREN * 4
    assert len(logs.get_calls) >= CHILDREN * 5  # every started stream, every poll, plus one call to see it is drained
    assert logs.filter_calls == []


def test_a_quiet_follow_backs_off_and_comes_back_when_something_moves() -> None:
    clock = Clock()
    logs = FakeLogs(clock=clock)
    sleeps: list[float] = []

    def script(poll: int) -> dict[str, tuple[str, str | None]]:
        if poll == 8:
            logs.put("s", T0, "hello")
        return {"job": ("SUCCEEDED" if poll >= 10 else "RUNNING", "s")}

    batch = FakeBatch(script)

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.sleep(seconds)

    pace = AdaptiveRateLimiter(following.LOG_READS_PER_SECOND, clock=clock, sleep=clock.sleep)
    list(following.follow(batch, logs, None, [("job", "job")], "t", poll=2.0, sleep=sleep, pace=pace))  # type: ignore[arg-type]
    assert sleeps[:1] == [2.0]  # the first poll saw RUNNING: something moved
    assert sleeps[1:4] == [3.0, 4.5, 6.75]
    assert max(sleeps) == 2.0 * following.MAX_POLL_FACTOR
    assert sleeps[8] == 2.0  # the line at poll 8 brought the interval back


def test_a_stopped_follow_ends_at_its_next_wait() -> None:
    """A follow in a worker thread (the dashboard's log stream) ends when its reader goes away, not with the job."""
    import threading
    import time

    logs = FakeLogs()
    batch = FakeBatch(lambda poll: {child(0): ("RUNNABLE", None)})  # never starts
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    try:
        items = list(
            following.follow(
                batch, logs, None, [(child(0), "stuck")], "t", poll=30, sleep=following.stoppable_sleep(stop)
            )  # type: ignore[arg-type]
        )
    except following.FollowStopped:
        items = []
    assert time.monotonic() - started < 5  # woke at once, not after the 30 s poll
    assert all(not isinstance(item, LogLine) for item in items)
