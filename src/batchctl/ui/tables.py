"""The jobs table's filters and order (from the query string), an array's grid, and a submission's graph."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from markupsafe import Markup

from batchctl.jobs.listing import parse_since
from batchctl.jobs.records import ALL_STATUSES, JobRecord, parse_statuses

if TYPE_CHECKING:
    from batchctl.api import Batchctl

SORT_KEYS = ("created", "name", "queue", "status", "user")
# One letter per child status: the grid is one short element per child (10,000 render in one paint).
GRID_LETTERS = {
    "SUBMITTED": "s",
    "PENDING": "p",
    "RUNNABLE": "b",
    "STARTING": "t",
    "RUNNING": "r",
    "SUCCEEDED": "d",
    "FAILED": "f",
}
UNKNOWN_LETTER = "u"


@dataclass(frozen=True)
class JobFilter:
    queue: str = ""
    statuses: tuple[str, ...] = ALL_STATUSES
    user: str = ""  # "": every user
    name: str = ""
    since: str = ""
    sort: str = "created"
    descending: bool = True

    @classmethod
    def of(cls, query: Mapping[str, str]) -> JobFilter:
        """Read from the query string; a bad value raises BatchctlError (shown on the page)."""
        status = query.get("status", "").strip()
        since = query.get("since", "").strip()
        if since:
            parse_since(since)  # refuse a bad value now, with its message
        sort = query.get("sort", "created")
        return cls(
            queue=query.get("queue", "").strip(),
            statuses=parse_statuses(status) if status else ALL_STATUSES,
            user=query.get("user", "").strip(),
            name=query.get("name", "").strip(),
            since=since,
            sort=sort if sort in SORT_KEYS else "created",
            descending=query.get("order", "desc") != "asc",
        )

    @property
    def status_text(self) -> str:
        return "" if self.statuses == ALL_STATUSES else ",".join(self.statuses)

    def query(self, **changes: str) -> str:
        """This filter as a query string, with `changes` (for the sort links)."""
        values = {
            "queue": self.queue,
            "status": self.status_text,
            "user": self.user,
            "name": self.name,
            "since": self.since,
            "sort": self.sort,
            "order": "desc" if self.descending else "asc",
            **changes,
        }
        return urlencode({key: value for key, value in values.items() if value})

    def sort_link(self, key: str) -> str:
        flip = self.sort == key and self.descending
        return self.query(sort=key, order="asc" if flip else "desc")


def list_filtered(sdk: Batchctl, wanted: JobFilter) -> list[JobRecord]:
    records = sdk.jobs(
        queue=wanted.queue or None,
        statuses=wanted.statuses,
        all_users=not wanted.user,
        user=wanted.user or None,
        name=wanted.name or None,
        since=parse_since(wanted.since) if wanted.since else None,
    )
    return sort_jobs(records, wanted, sdk.resolver().queue_name)


def sort_jobs(records: list[JobRecord], wanted: JobFilter, queue_name: Callable[[str], str]) -> list[JobRecord]:
    oldest = datetime.min.replace(tzinfo=UTC)
    keys = {
        "created": lambda job: (job.created or oldest, job.id),
        "name": lambda job: (job.name.lower(), job.id),
        "queue": lambda job: (queue_name(job.queue), job.id),
        "status": lambda job: (ALL_STATUSES.index(job.status) if job.status in ALL_STATUSES else 99, job.id),
        "user": lambda job: (job.user or "", job.id),
    }
    return sorted(records, key=keys[wanted.sort], reverse=wanted.descending)


def grid_letters(statuses: list[str]) -> str:
    return "".join(GRID_LETTERS.get(status, UNKNOWN_LETTER) for status in statuses)


def grid_html(letters: str) -> Markup:
    """One `<i>` per child, its class its status letter; the child's index is its position."""
    return Markup("".join(f'<i class="{letter}"></i>' for letter in letters))  # letters come from GRID_LETTERS


@dataclass(frozen=True)
class GraphNode:
    job: JobRecord
    level: int  # 0: depends on nothing in the submission
    after: list[tuple[str, str]]  # (name of the job it waits for, dependency type)
    x: int
    y: int


BOX_WIDTH, BOX_HEIGHT, GAP_X, GAP_Y = 180, 36, 60, 16


def dependency_graph(jobs: list[JobRecord]) -> tuple[list[GraphNode], list[tuple[int, int, int, int]], int, int]:
    """Jobs in columns by depth, with one line per dependency: (nodes, lines, width, height) of an SVG."""
    by_id = {job.id: job for job in jobs}
    levels: dict[str, int] = {}

    def level(job: JobRecord, seen: frozenset[str] = frozenset()) -> int:
        if job.id in levels:
            return levels[job.id]
        parents = [by_id[item["jobId"]] for item in job.depends_on if item.get("jobId") in by_id]
        depth = 1 + max((level(parent, seen | {job.id}) for parent in parents if parent.id not in seen), default=-1)
        levels[job.id] = depth
        return depth

    rows: dict[int, int] = {}
    nodes: dict[str, GraphNode] = {}
    for job in jobs:
        depth = level(job)
        row = rows.get(depth, 0)
        rows[depth] = row + 1
        after = [
            (
                by_id[item["jobId"]].name if item.get("jobId") in by_id else str(item.get("jobId", "")),
                item.get("type", ""),
            )
            for item in job.depends_on
        ]
        nodes[job.id] = GraphNode(job, depth, after, depth * (BOX_WIDTH + GAP_X), row * (BOX_HEIGHT + GAP_Y))
    lines = [
        (
            nodes[item["jobId"]].x + BOX_WIDTH,
            nodes[item["jobId"]].y + BOX_HEIGHT // 2,
            node.x,
            node.y + BOX_HEIGHT // 2,
        )
        for node in nodes.values()
        for item in node.job.depends_on
        if item.get("jobId") in nodes
    ]
    width = (max(levels.values(), default=0) + 1) * (BOX_WIDTH + GAP_X)
    height = max(rows.values(), default=1) * (BOX_HEIGHT + GAP_Y)
    return sorted(nodes.values(), key=lambda node: (node.level, node.y)), lines, width, height


def _name_of(dependency: dict[str, str], by_id: dict[str, JobRecord]) -> str:
    found = by_id.get(dependency.get("jobId", ""))
    return found.name if found else dependency.get("jobId", "")
