"""A FilterLogEvents stream set: every line once, per stream in order, in ceil(n / 100) calls a read."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable

from tests.unit.fake_cloudwatch import GROUP, FakeLogs
from tests.unit.test_submit_pacing import Clock

from batchctl.aws.logs import FilterPage
from batchctl.jobs.pacing import AdaptiveRateLimiter
from batchctl.jobs.stream_set import FILTER_CALLS_PER_SECOND, LATE_MS, PROBE_CALLS_PER_SECOND, StreamSet

T = 1_800_000_000_000


def stream_set(logs: FakeLogs, clock: Clock | None = None) -> StreamSet:
    clock = clock or Clock()
    pace = AdaptiveRateLimiter(FILTER_CALLS_PER_SECOND, clock=clock, sleep=clock.sleep)
    probes = AdaptiveRateLimiter(PROBE_CALLS_PER_SECOND, clock=clock, sleep=clock.sleep)
    return StreamSet(logs, pace, probes)  # type: ignore[arg-type]


def collect(streams: StreamSet, seen: dict[Hashable, list[str]]) -> None:
    for key, event in streams.read():
        seen[key].append(event.message)


def test_250_streams_every_line_once_in_order_three_calls_a_read() -> None:
    logs = FakeLogs()
    streams = stream_set(logs)
    names = [f"job/default/{index}" for index in range(250)]
    for name in names:
        logs.create(name)
        streams.add(name, GROUP, name, T)
    seen: dict[Hashable, list[str]] = defaultdict(list)
    for line in range(4):
        for index, name in enumerate(names):
            logs.put(name, T + line * 1000 + index, f"{name} {line}")
        calls = len(logs.filter_calls)
        collect(streams, seen)
        assert len(logs.filter_calls) - calls == math.ceil(250 / 100)
    assert seen == {name: [f"{name} {line}" for line in range(4)] for name in names}


def test_pages_are_followed_and_nothing_is_read_twice() -> None:
    logs = FakeLogs(page_size=7)
    streams = stream_set(logs)
    for index in range(3):
        streams.add(index, GROUP, f"s{index}", T)
        for line in range(20):
            logs.put(f"s{index}", T + line, f"{index}.{line}")
    seen: dict[Hashable, list[str]] = defaultdict(list)
    collect(streams, seen)
    collect(streams, seen)  # the same window again: nothing new
    assert seen == {index: [f"{index}.{line}" for line in range(20)] for index in range(3)}


def test_a_late_event_within_the_window_comes_once_and_late() -> None:
    logs = FakeLogs()
    streams = stream_set(logs)
    streams.add("a", GROUP, "a", T)
    logs.put("a", T + 10_000, "newer")
    seen: dict[Hashable, list[str]] = defaultdict(list)
    collect(streams, seen)
    logs.put("a", T + 10_000 - LATE_MS + 1, "late but searchable within the window")
    logs.put("a", T + 10_000 - LATE_MS - 1, "later than the window")
    collect(streams, seen)
    collect(streams, seen)
    assert seen["a"] == ["newer", "late but searchable within the window"]


def test_a_quiet_stream_keeps_its_lines_while_its_neighbours_move_on() -> None:
    logs = FakeLogs()
    streams = stream_set(logs)
    for name in ("chatty", "quiet"):
        logs.create(name)
        streams.add(name, GROUP, name, T)
    seen: dict[Hashable, list[str]] = defaultdict(list)
    for second in range(60):
        logs.put("chatty", T + second * 1000, f"tick {second}")
        collect(streams, seen)
    logs.put("quiet", T + 59_500, "at last")
    collect(streams, seen)
    assert seen["quiet"] == ["at last"]
    assert seen["chatty"] == [f"tick {second}" for second in range(60)]


def test_a_stream_that_does_not_exist_yet_is_found_and_read_alone_until_it_does() -> None:
    logs = FakeLogs()
    streams = stream_set(logs)
    for index in range(100):
        streams.add(index, GROUP, f"s{index}", T)
        if index != 37:
            logs.put(f"s{index}", T + 1, f"line {index}")
    seen: dict[Hashable, list[str]] = defaultdict(list)
    collect(streams, seen)
    assert len(logs.filter_calls) == 2  # refused, then the 99 that exist
    assert len(logs.get_calls) == 100  # each stream not yet seen to exist, probed once
    assert sorted(seen) == [index for index in range(100) if index != 37]
    collect(streams, seen)
    assert (len(logs.filter_calls), len(logs.get_calls)) == (3, 101)  # the 99 together; the missing one probed
    logs.put("s37", T + 2, "line 37")
    logs.put("s38", T + 3, "line 38 again")
    logs.create("s100")
    streams.add(100, GROUP, "s100", T)  # a new stream joins the set: no probe, it exists
    collect(streams, seen)
    assert (len(logs.filter_calls), len(logs.get_calls)) == (5, 102)  # 101 streams: two sets; s37 probed
    assert seen[37] == ["line 37"]
    assert seen[38] == ["line 38", "line 38 again"]
    assert all(lines == [f"line {index}"] for index, lines in seen.items() if index not in (37, 38))


def test_only_the_streams_not_seen_before_are_probed() -> None:
    logs = FakeLogs()
    streams = stream_set(logs)
    for index in range(50):
        logs.put(f"s{index}", T, "x")
        streams.add(index, GROUP, f"s{index}", T)
    list(streams.read())
    streams.add("new", GROUP, "not-yet", T)
    list(streams.read())
    assert len(logs.get_calls) == 1  # the 50 were read before: only the new one is a suspect
    assert len(logs.filter_calls) == 3  # the first read, the refused one, the 50 again


def test_a_removed_stream_is_not_read() -> None:
    logs = FakeLogs()
    streams = stream_set(logs)
    streams.add("a", GROUP, "a", T)
    logs.put("a", T, "x")
    streams.remove("a")
    assert list(streams.read()) == []
    assert logs.filter_calls == []


def test_reads_are_paced_under_the_filter_log_events_quota() -> None:
    clock = Clock()
    logs = FakeLogs(page_size=1, clock=clock)
    streams = stream_set(logs, clock)
    streams.add("a", GROUP, "a", T)
    for line in range(40):
        logs.put("a", T + line, str(line))
    assert len(list(streams.read())) == 20  # MAX_PAGES_PER_READ pages of one event; the rest next time
    assert len(list(streams.read())) == 20
    calls = logs.filter_calls
    assert max(sum(1 for t in calls if start <= t < start + 1) for start in calls) <= 5


def test_the_wrapper_refuses_more_than_100_streams() -> None:
    from batchctl.aws.logs import Logs

    class Client:
        def filter_log_events(self, **kwargs: object) -> dict[str, object]:
            raise AssertionError("not called")

    try:
        Logs(Client()).filter_events(GROUP, [f"s{index}" for index in range(101)], 0)
    except ValueError as err:
        assert "1 to 100" in str(err)
    else:
        raise AssertionError("101 streams were sent")
    assert isinstance(FilterPage([], None), FilterPage)
