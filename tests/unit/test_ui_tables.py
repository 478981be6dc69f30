"""The jobs table's filters and order, the array grid's letters and the dependency graph's layout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from batchctl.errors import BatchctlError
from batchctl.jobs.records import ALL_STATUSES, JobRecord
from batchctl.jobs.requests import JOB_TAG, SUBMITTER_TAG
from batchctl.ui.context import templates
from batchctl.ui.tables import JobFilter, dependency_graph, grid_html, grid_letters, sort_jobs

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def record(job_id: str, name: str, status: str = "RUNNING", minutes: int = 0, **extra: Any) -> JobRecord:
    detail = {
        "jobId": job_id,
        "jobName": name,
        "status": status,
        "jobQueue": f"arn:aws:batch:us-east-1:1:job-queue/q-{extra.pop('queue', 'a')}",
        "createdAt": int((NOW + timedelta(minutes=minutes)).timestamp() * 1000),
        "tags": {JOB_TAG: name, SUBMITTER_TAG: extra.pop("user", "ann")},
        **extra,
    }
    return JobRecord.from_detail(detail)


def test_a_filter_from_the_query_string() -> None:
    wanted = JobFilter.of({"status": "running,failed", "queue": "cpu", "sort": "name", "order": "asc"})
    assert wanted.statuses == ("RUNNING", "FAILED") and wanted.queue == "cpu"
    assert wanted.sort == "name" and not wanted.descending
    assert "status=RUNNING%2CFAILED" in wanted.query()
    assert "order=desc" in wanted.sort_link("name") and "order=asc" in JobFilter.of({}).sort_link("created")
    assert JobFilter.of({}).statuses == ALL_STATUSES
    assert JobFilter.of({"sort": "nonsense"}).sort == "created"


@pytest.mark.parametrize("query", [{"status": "bogus"}, {"since": "banana"}, {"since": "99999999999d"}])
def test_a_bad_filter_says_why(query: dict[str, str]) -> None:
    with pytest.raises(BatchctlError):
        JobFilter.of(query)


def test_sorting_by_each_column() -> None:
    jobs = [record("1", "beta", "FAILED", 2, user="zed"), record("2", "alpha", "RUNNING", 1, queue="b")]
    names = {"arn:aws:batch:us-east-1:1:job-queue/q-a": "a", "arn:aws:batch:us-east-1:1:job-queue/q-b": "b"}

    def order(**query: str) -> list[str]:
        return [job.id for job in sort_jobs(jobs, JobFilter.of(query), names.__getitem__)]

    assert order() == ["1", "2"]  # newest first
    assert order(sort="name", order="asc") == ["2", "1"]
    assert order(sort="status", order="asc") == ["2", "1"]  # RUNNING comes before FAILED in the lifecycle
    assert order(sort="user", order="asc") == ["2", "1"]
    assert order(sort="queue", order="desc") == ["2", "1"]


def test_the_grid_is_one_short_element_per_child() -> None:
    letters = grid_letters(["SUCCEEDED", "FAILED", "RUNNING", "", "RUNNABLE"])
    assert letters == "dfrub"
    html = grid_html(letters * 2000)
    assert html.count("<i ") == 10_000 and len(html) < 200_000


def test_the_graph_puts_jobs_after_what_they_wait_for() -> None:
    first = record("a", "prepare", "SUCCEEDED")
    second = record("b", "work", "RUNNING", dependsOn=[{"jobId": "a", "type": "N_TO_N"}])
    third = record("c", "report", "PENDING", dependsOn=[{"jobId": "b"}, {"jobId": "a"}])
    nodes, lines, width, height = dependency_graph([third, second, first])
    levels = {node.job.name: node.level for node in nodes}
    assert levels == {"prepare": 0, "work": 1, "report": 2}
    assert len(lines) == 3 and width > 0 and height > 0
    assert next(node for node in nodes if node.job.name == "work").after == [("prepare", "N_TO_N")]


def test_templates_escape_what_jobs_say() -> None:
    page = templates().get_template("error_fragment.html").render(message="<script>alert(1)</script>", hint=None)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_download_names_any_file_in_ascii_and_in_utf_8() -> None:
    from batchctl.ui.pages import attachment

    assert attachment("hello.txt") == "attachment; filename=\"hello.txt\"; filename*=UTF-8''hello.txt"
    header = attachment('résumé✓ "a"\\b.txt')
    header.encode("latin-1")  # what the server must be able to send
    assert (
        header
        == "attachment; filename=\"r_sum__ _a__b.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%E2%9C%93%20%22a%22%5Cb.txt"
    )
