"""Jobs as plain data: what DescribeJobs says about a job, with names people use."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from batchctl.errors import BatchctlError, NotFoundError
from batchctl.jobs.tags import JOB_TAG, SUBMISSION_TAG, SUBMITTER_TAG
from batchctl.runner import contract

ACTIVE_STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
TERMINAL_STATUSES = ("SUCCEEDED", "FAILED")
ALL_STATUSES = ACTIVE_STATUSES + TERMINAL_STATUSES
NOT_STARTED_STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE")
RESUBMIT_OF_TAG = "batchctl:resubmit-of"  # on a resubmission: the id of the job it re-runs
RESUBMIT_INDICES_TAG = "batchctl:resubmit-indices"  # and which original indices, e.g. "1 3 5-9"
_ONE_DAY_MS = 86_400_000


def parse_statuses(text: str) -> tuple[str, ...]:
    """`running,failed` -> ("RUNNING", "FAILED"); an unknown status lists the valid ones."""
    statuses = tuple(dict.fromkeys(item.strip().upper() for item in text.split(",") if item.strip()))
    unknown = [status for status in statuses if status not in ALL_STATUSES]
    if unknown or not statuses:
        raise BatchctlError(
            f"unknown job status {', '.join(unknown) or repr(text)}", hint=f"use any of {','.join(ALL_STATUSES)}"
        )
    return statuses


def job_not_found(job_id: str, target: str) -> NotFoundError:
    return NotFoundError(f"job {job_id} not found in {target}", hint="list jobs with `batchctl jobs --all`")


@dataclass(frozen=True)
class Attempt:
    number: int
    exit_code: int | None
    reason: str
    status_reason: str
    log_stream: str
    started: datetime | None
    stopped: datetime | None


@dataclass(frozen=True)
class JobRecord:
    id: str
    name: str  # the name in the job file (batchctl's tag); the AWS name for other jobs
    aws_name: str
    status: str
    status_reason: str
    queue: str  # ARN
    definition: str  # ARN
    user: str | None
    submission: str | None
    created: datetime | None
    started: datetime | None
    stopped: datetime | None
    array_size: int | None  # an array parent's number of children
    array_index: int | None  # an array child's index
    children: dict[str, int]  # an array parent's children by status
    exit_code: int | None
    log_stream: str | None
    log_group: str | None  # from the job's own log configuration, when AWS reports it
    environment: dict[str, str] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    depends_on: list[dict[str, str]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    failure_class: str | None = None  # a FAILED job's class (batchctl.insight.failures), e.g. "out of memory"

    @property
    def is_array_parent(self) -> bool:
        return self.array_size is not None

    @property
    def is_array_child(self) -> bool:
        # AWS gives a child `<parent id>:<index>` (the emulator's DescribeJobs omits the child's arrayProperties).
        return self.array_index is not None or ":" in self.id

    @property
    def parent_id(self) -> str:
        return self.id.split(":", 1)[0]

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def index_map(self) -> list[int]:
        """The original indices this job's children stand for (BATCHCTL_INDEX_MAP); empty when it has none, and
        for a map the runner refuses (the job then failed before writing anything)."""
        try:
            return contract.parse_index_map(self.environment.get(contract.INDEX_MAP, ""))
        except contract.IndexMapError:
            return []

    @property
    def resubmit_of(self) -> str | None:
        return self.tags.get(RESUBMIT_OF_TAG) or None

    @classmethod
    def from_detail(cls, detail: dict[str, Any]) -> JobRecord:
        container = detail.get("container") or {}
        tags = dict(detail.get("tags") or {})
        environment = {item["name"]: item.get("value", "") for item in container.get("environment", [])}
        array = detail.get("arrayProperties") or {}
        is_parent = "statusSummary" in array and "index" not in array and array.get("size") is not None
        log_options = (container.get("logConfiguration") or {}).get("options") or {}
        record = cls(
            id=detail["jobId"],
            name=tags.get(JOB_TAG) or environment.get(contract.JOB_NAME) or detail.get("jobName", ""),
            aws_name=detail.get("jobName", ""),
            status=detail.get("status", ""),
            status_reason=detail.get("statusReason", "") or "",
            queue=detail.get("jobQueue", ""),
            definition=detail.get("jobDefinition", ""),
            user=tags.get(SUBMITTER_TAG),
            submission=tags.get(SUBMISSION_TAG),
            created=_time(detail.get("createdAt")),
            started=_time(detail.get("startedAt")),
            stopped=_time(detail.get("stoppedAt")),
            array_size=int(array["size"]) if is_parent else None,
            array_index=array.get("index"),
            children={key: int(value) for key, value in (array.get("statusSummary") or {}).items()}
            if is_parent
            else {},
            exit_code=container.get("exitCode"),
            log_stream=container.get("logStreamName") or None,
            log_group=log_options.get("awslogs-group"),
            environment=environment,
            attempts=[_attempt(number, item) for number, item in enumerate(detail.get("attempts") or [], start=1)],
            depends_on=list(detail.get("dependsOn") or []),
            tags=tags,
        )
        from batchctl.insight.failures import classify  # it reads records: imported here, not at the top

        failure = classify(record)
        return replace(record, failure_class=failure.label) if failure else record


def _attempt(number: int, item: dict[str, Any]) -> Attempt:
    container = item.get("container") or {}
    return Attempt(
        number=number,
        exit_code=container.get("exitCode"),
        reason=container.get("reason", "") or "",
        status_reason=item.get("statusReason", "") or "",
        log_stream=container.get("logStreamName", "") or "",
        started=_time(item.get("startedAt")),
        stopped=_time(item.get("stoppedAt")),
    )


def _time(millis: Any) -> datetime | None:
    """AWS gives epoch milliseconds; 0 (and the emulator's 1 January 1970 placeholders) mean "not yet"."""
    if not millis or int(millis) < _ONE_DAY_MS:
        return None
    return datetime.fromtimestamp(int(millis) / 1000, tz=UTC)
