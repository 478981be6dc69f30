"""The Python API: everything the `batchctl` command does, it does through these methods (the CLI only renders).

    from batchctl.api import Batchctl

    cluster = Batchctl.from_config("batchctl.yaml", local=True)
    cluster.deploy()
    result = cluster.submit("jobs.yaml", {"greeting": "hi"})
    final = cluster.wait([job.job_id for job in result.jobs])
    for event in cluster.logs(result.jobs[0].job_id):
        print(event.message)

Cluster methods (validate, synth, diff, deploy, status, destroy) are in `api/cluster.py`; the local emulator's
up/down/status in `batchctl.api.local`. Nothing here prints. The target (AWS or an emulator, see
`batchctl.targets`) is resolved and AWS clients are created on first use, so a dry run needs no credentials.
"""

from __future__ import annotations

import getpass
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchctl import outputs as keys
from batchctl.api.cluster import ClusterOperations
from batchctl.aws.batch import Batch
from batchctl.aws.logs import LogEvent, Logs
from batchctl.aws.session import Aws
from batchctl.config.names import ClusterNames, read_names
from batchctl.errors import BatchctlError, NotFoundError
from batchctl.jobs.listing import FinishedJobs, JobQuery, list_jobs, parse_since
from batchctl.jobs.pacing import DEFAULT_SUBMIT_RATE, AdaptiveRateLimiter
from batchctl.jobs.queues import QueueView, queue_views
from batchctl.jobs.records import ACTIVE_STATUSES, ALL_STATUSES, JobRecord
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.show import JobView, show_job
from batchctl.jobs.submit import SubmitProgress, SubmittedJob, submit_planned
from batchctl.paths import DEFAULT_CONFIG_FILE
from batchctl.targets import Target, TargetRequest, resolve_target

# Planning and checking submissions (job files: Jinja2; batchctl.yaml's validated models: pydantic) is imported
# where it is used: reading jobs, queues and logs must start about as fast as a bare boto3 call.
if TYPE_CHECKING:
    from batchctl.config import ClusterConfig
    from batchctl.images.build import BuiltImage
    from batchctl.insight.usage import UsageReport
    from batchctl.insight.why import Why
    from batchctl.jobs import follow as following
    from batchctl.jobs import logs as job_logs
    from batchctl.jobs.call_meter import CallMeter
    from batchctl.jobs.cancel import CancelOutcome
    from batchctl.jobs.follow import Notice
    from batchctl.jobs.jobfile import JobFile
    from batchctl.jobs.outputs import OutputListing
    from batchctl.jobs.resubmit import ResubmitResult

__all__ = ["Batchctl", "Notice", "PushResult", "SubmitResult", "current_user", "parse_pairs", "parse_since"]

USER_ENV = "BATCHCTL_USER"


def __getattr__(name: str) -> Any:
    """Types of the methods that plan submissions or follow logs, imported on first use (PEP 562) like their modules."""
    if name == "ResubmitResult":
        from batchctl.jobs.resubmit import ResubmitResult

        return ResubmitResult
    if name == "Notice":
        from batchctl.jobs.follow import Notice

        return Notice
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_pairs(items: Iterable[str], what: str, example: str) -> dict[str, str]:
    """`K=V` options -> {K: V}; a malformed one is one line naming it."""
    from batchctl.jobs.adhoc import parse_pairs as parse

    return parse(items, what, example)


def current_user() -> str:
    """Who submits: $BATCHCTL_USER, else the login name. Recorded in each job's `submitter` tag."""
    return os.environ.get(USER_ENV, "").strip() or getpass.getuser()


@dataclass(frozen=True)
class Explanation:
    """`submit --explain`: a job file shown in batchctl's own form."""

    source: str  # the job file
    batchctl_form: str  # YAML


@dataclass(frozen=True)
class RunOutcome:
    """`run -o json`: the job submitted (None for a dry run), its SubmitJob request and, with --wait, its end."""

    job: SubmittedJob | None
    request: dict[str, Any]
    status: str | None = None  # with --wait / --follow: SUCCEEDED or FAILED
    status_reason: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class SubmitResult:
    source: str  # the job file
    submission_id: str
    rendered: str  # the job file after templating
    requests: list[dict[str, Any]]  # SubmitJob requests as sent (or, for a dry run, as they would be)
    jobs: list[SubmittedJob] = field(default_factory=list)  # empty for a dry run
    dry_run: bool = False


@dataclass(frozen=True)
class JobLogs:
    job_id: str
    status: str
    group: str
    stream: str | None  # None: the job has not started (or never did)
    waiting: str | None  # why there is nothing to read yet
    events: list[LogEvent] = field(default_factory=list)


@dataclass(frozen=True)
class PushResult:
    references: list[str]


def connect(target: Target) -> Aws:
    """AWS clients for a resolved target (created on first use)."""
    return Aws(target)


class Batchctl(ClusterOperations):
    """One cluster: deploy it (see ClusterOperations), run its jobs, build and push its images."""

    def __init__(
        self,
        config: ClusterConfig | str | Path,
        aws: Aws | Callable[[], Aws],
        *,
        user: str | None = None,
        poll_seconds: float | None = None,
        names: ClusterNames | None = None,
    ) -> None:
        """`config`: the validated configuration, or the path of batchctl.yaml, read as far as each method needs
        (reading jobs, queues and logs needs only the cluster's names, config.names; `names` if already read)."""
        self._config: ClusterConfig | None = None
        self._names = names
        self._config_path: Path | None = None
        if isinstance(config, str | Path):
            self._config_path = Path(config)
        else:
            self._config = config
        self._aws_factory = aws if callable(aws) else (lambda: aws)
        self._aws: Aws | None = None
        self.user = user or current_user()
        self.poll_seconds = poll_seconds
        self._outputs: dict[str, str] | None = None
        self._finished = FinishedJobs()
        self._batch_api: Batch | None = None

    @classmethod
    def from_config(
        cls,
        path: str | Path = DEFAULT_CONFIG_FILE,
        *,
        local: bool | None = None,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        user: str | None = None,
    ) -> Batchctl:
        """local=None follows BATCHCTL_LOCAL; see batchctl.targets for the order in which targets are chosen."""
        names = read_names(path)
        request = TargetRequest(local=local, profile=profile, region=region, endpoint_url=endpoint_url)
        return cls(path, lambda: Aws(resolve_target(request, names.region)), user=user, names=names)

    # -- batchctl.yaml ----------------------------------------------------------------------------------------

    @property
    def config(self) -> ClusterConfig:
        """The validated configuration (read on first use when the API was given a path)."""
        if self._config is None:
            from batchctl.config import load_config

            assert self._config_path is not None
            self._config = load_config(self._config_path)
        return self._config

    @property
    def names(self) -> ClusterNames:
        """The cluster's name, region and the short names of its queues and job definitions."""
        if self._names is None:
            self._names = self._config.names if self._config is not None else read_names(self._config_path or "")
        return self._names

    # -- where calls go ---------------------------------------------------------------------------------------

    @property
    def aws(self) -> Aws:
        if self._aws is None:
            self._aws = self._aws_factory()
        return self._aws

    @property
    def target(self) -> str:
        return self.aws.target.describe()

    @property
    def is_local(self) -> bool:
        """Whether calls go to an emulator (the local one, or AWS_ENDPOINT_URL's) rather than AWS."""
        return self.aws.target.is_local

    def stack_outputs(self) -> dict[str, str]:
        """The cluster stack's outputs (read once): how queues, definitions and buckets are found."""
        if self._outputs is None:
            from batchctl.aws.cloudformation import CloudFormation

            stack = keys.compute_stack_name(self.names.name)
            described = CloudFormation(self.aws.client("cloudformation")).describe_stack(stack)
            found = CloudFormation.outputs_of(described) if described else {}
            if not found:
                raise NotFoundError(
                    f"cluster {self.names.name} is not deployed in {self.target} (no stack {stack})",
                    hint=f"deploy it: batchctl {'--local ' if self.aws.target.emulator_pid else ''}deploy",
                )
            self._outputs = found
        return self._outputs

    def resolver(self, dry_run: bool = False, *, planning: bool = False) -> Resolver:
        """Names -> ARNs through the stack outputs; `planning` (submissions) needs the validated configuration."""
        return Resolver(self.config if planning else self.names, None if dry_run else self.stack_outputs())

    def _batch(self) -> Batch:
        if self._batch_api is None:
            self._batch_api = Batch(self.aws.client("batch"))
        return self._batch_api

    def _logs(self) -> Logs:
        return Logs(self.aws.client("logs"))

    def _poll(self, default: float) -> float:
        return self.poll_seconds if self.poll_seconds is not None else default

    # -- jobs --------------------------------------------------------------------------------------------------

    def submit(
        self,
        path: str | Path,
        variables: Mapping[str, str] | None = None,
        *,
        dry_run: bool = False,
        force: bool = False,
        resume: str | None = None,
        rate: float = DEFAULT_SUBMIT_RATE,
        on_progress: Callable[[SubmitProgress], None] | None = None,
    ) -> SubmitResult:
        """Render, validate, check and submit a job file (a dry run calls no AWS API and submits nothing).

        The whole file is checked before its first SubmitJob (preflight.py); `force` skips only the check that
        each job fits a compute environment of its queue. Jobs are submitted concurrently at up to `rate`
        SubmitJob calls a second; `resume` (a submission id) submits only the jobs of that submission that AWS
        does not have yet (the same file and variables give the same unique job names).
        """
        from batchctl.jobs.jobfile import load_job_file
        from batchctl.jobs.requests import new_submission_id
        from batchctl.jobs.template import Builtins

        submission_id = resume or new_submission_id()
        job_file = load_job_file(Path(path), variables or {}, Builtins(self.user, self.config.name, submission_id))
        return self._submit_file(
            job_file,
            str(path),
            dry_run=dry_run,
            force=force,
            submission_id=submission_id,
            resume=resume is not None,
            rate=rate,
            on_progress=on_progress,
        )

    def _submit_file(
        self,
        job_file: JobFile,
        source: str,
        *,
        dry_run: bool,
        force: bool,
        submission_id: str | None = None,
        resume: bool = False,
        rate: float = DEFAULT_SUBMIT_RATE,
        on_progress: Callable[[SubmitProgress], None] | None = None,
    ) -> SubmitResult:
        from batchctl.jobs import preflight
        from batchctl.jobs.requests import PlannedJob, new_submission_id, plan_submission, with_dependencies

        submission_id = submission_id or new_submission_id()
        planned = plan_submission(job_file, self.resolver(dry_run, planning=True), self.user, submission_id)

        def locate(item: PlannedJob, field: str) -> str:
            return job_file.locate(next(i for i, job in enumerate(job_file.jobs) if job.name == item.name), field)

        if dry_run:
            preflight.check_dry_run(self.config, planned, locate, force=force)
        else:
            preflight.check_live(self._batch(), planned, locate, self.target, force=force)
        if dry_run:
            placeholders = {item.name: f"<id of {item.name}>" for item in planned}
            requests = [with_dependencies(item, placeholders) for item in planned]
            return SubmitResult(source, submission_id, job_file.rendered, requests, dry_run=True)
        limiter = AdaptiveRateLimiter(rate)
        progress = on_progress or (lambda update: None)
        jobs = submit_planned(
            self._batch(),
            planned,
            limiter=limiter,
            resume=resume,
            on_progress=lambda update: progress(replace(update, submission_id=submission_id)),
        )
        ids = {job.name: job.job_id for job in jobs}
        requests = [with_dependencies(item, ids) for item in planned]
        return SubmitResult(source, submission_id, job_file.rendered, requests, jobs)

    def explain(self, path: str | Path, variables: Mapping[str, str] | None = None) -> str:
        """A job file in batchctl's own form (list form, the Terraform project's keys and full AWS names mapped onto
        batchctl's), as YAML. Calls no AWS API: names are checked against batchctl.yaml."""
        from batchctl.jobs.explain import batchctl_form
        from batchctl.jobs.jobfile import load_job_file
        from batchctl.jobs.requests import new_submission_id
        from batchctl.jobs.template import Builtins

        builtins = Builtins(self.user, self.config.name, new_submission_id())
        resolver = self.resolver(dry_run=True, planning=True)
        return batchctl_form(load_job_file(Path(path), variables or {}, builtins), resolver)

    def resubmit(
        self,
        job_id: str,
        *,
        failed_only: bool = False,
        dry_run: bool = False,
        queue: str | None = None,
        vcpus: float | None = None,
        memory: int | None = None,
    ) -> ResubmitResult:
        """Run a finished job again as one new job whose outputs land where the original's did.

        failed_only: only an array's FAILED children (a new array over them, or a plain job for one); a dry run
        reads the original but submits nothing. queue, vcpus, memory (MiB): what the new job changes.
        """
        from batchctl.jobs.resubmit import Changes, resubmit_job

        return resubmit_job(
            self._batch(),
            self.resolver(planning=True),
            job_id,
            self.target,
            self.user,
            failed_only=failed_only,
            dry_run=dry_run,
            changes=Changes(queue, vcpus, memory),
        )

    def wait(
        self,
        job_ids: list[str],
        on_update: Callable[[list[JobRecord]], None] = lambda records: None,
        *,
        meter: CallMeter | None = None,
    ) -> list[JobRecord]:
        """Poll until every job has finished; returns their final records. meter: counts the API calls made."""
        from batchctl.jobs.call_meter import metered
        from batchctl.jobs.wait import wait_for

        with metered(meter, self.aws.client("batch")):
            return wait_for(self._batch(), job_ids, self.target, on_update, poll=self._poll(5.0))

    def follow(
        self, jobs: list[SubmittedJob], *, meter: CallMeter | None = None
    ) -> Iterator[following.LogLine | following.Notice]:
        """Stream the logs of submitted jobs (array children each under `name[i]`) until they all finish.

        Every child of an array is followed (one FilterLogEvents stream set for many jobs); meter: counts the API
        calls made and the streams read."""
        units: list[tuple[str, str]] = []
        for job in jobs:
            if job.array_size:
                units.extend((f"{job.job_id}:{index}", f"{job.name}[{index}]") for index in range(job.array_size))
            else:
                units.append((job.job_id, job.name))
        yield from self._follow(lambda: units, meter)

    def jobs(
        self,
        *,
        queue: str | None = None,
        statuses: tuple[str, ...] | None = None,
        all_statuses: bool = False,
        user: str | None = None,
        all_users: bool = False,
        name: str | None = None,
        since: datetime | None = None,
    ) -> list[JobRecord]:
        """This cluster's jobs (or one queue's): active ones of the current user unless told otherwise.

        Finished jobs are described once per Batchctl object: listing again (a dashboard's refresh) describes only
        new and unfinished jobs (see jobs.listing.FinishedJobs)."""
        resolver = self.resolver()
        queues = [resolver.queue(queue)] if queue else list(resolver.queues().values())
        query = JobQuery(
            statuses=ALL_STATUSES if all_statuses else (statuses or ACTIVE_STATUSES),
            user=None if all_users else (user or self.user),
            name=name,
            since=since,
        )
        return list_jobs(self._batch(), queues, query, self._finished)

    def show(self, job_id: str) -> JobView:
        return show_job(self._batch(), self.resolver(), job_id, self.target)

    def log_source(self, job_id: str, *, index: int | None = None, attempt: int | None = None) -> job_logs.LogSource:
        """Which stream holds a job's logs; `.stream` is None while the job has not started."""
        from batchctl.jobs import logs as job_logs

        return job_logs.log_source(self._batch(), self.resolver(), job_id, self.target, index, attempt)

    def logs(self, job_id: str, *, index: int | None = None, attempt: int | None = None) -> Iterator[LogEvent]:
        """The log events a job has written so far (none before it starts)."""
        return self.read_logs(self.log_source(job_id, index=index, attempt=attempt))

    def log_events(self, job_id: str, *, index: int | None = None, attempt: int | None = None) -> JobLogs:
        """Every log event a job has written so far, with where they come from (or why there are none yet)."""
        source = self.log_source(job_id, index=index, attempt=attempt)
        if source.stream is None:
            return JobLogs(source.job.id, source.job.status, source.group, None, source.waiting_message)
        events = list(self.read_logs(source))
        return JobLogs(source.job.id, source.job.status, source.group, source.stream, None, events)

    def read_logs(self, source: job_logs.LogSource) -> Iterator[LogEvent]:
        from batchctl.jobs import logs as job_logs

        return job_logs.read_logs(self._logs(), source)

    def follow_logs(
        self,
        job: str | job_logs.LogSource,
        *,
        meter: CallMeter | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[following.LogLine | following.Notice]:
        """A job's log events as they come, waiting for it to start, until it has finished (with retries).

        An array parent's id follows all its children, each labelled `name[index]`, as their streams start.
        stop: when set, the follow ends at its next wait (a reader that went away frees the thread it runs in)."""

        def units() -> list[tuple[str, str]]:
            if not isinstance(job, str):
                return [(job.job.id, job.job.id)]
            from batchctl.jobs.logs import follow_units

            return follow_units(self._batch(), job, self.target)

        yield from self._follow(units, meter, stop)

    def _follow(
        self,
        units: Callable[[], list[tuple[str, str]]],
        meter: CallMeter | None,
        stop: threading.Event | None = None,
    ) -> Iterator[following.LogLine | following.Notice]:
        import time

        from batchctl.jobs import follow as following
        from batchctl.jobs.call_meter import metered

        sleep = following.stoppable_sleep(stop) if stop is not None else time.sleep
        with metered(meter, self.aws.client("batch"), self.aws.client("logs")):
            try:
                yield from following.follow(
                    self._batch(),
                    self._logs(),
                    self.resolver(),
                    units(),
                    self.target,
                    poll=self._poll(2.0),
                    sleep=sleep,
                    meter=meter,
                )
            except following.FollowStopped:
                return

    def cancel(self, job_ids: list[str], reason: str | None = None) -> list[CancelOutcome]:
        from batchctl.jobs.cancel import cancel_jobs

        return cancel_jobs(self._batch(), job_ids, reason or f"cancelled by {self.user} with batchctl", self.target)

    def queues(self, *, all_queues: bool = False) -> list[QueueView]:
        """This cluster's queues (every queue of the account and region with all_queues)."""
        return queue_views(self._batch(), None if all_queues else self.resolver().queues())

    def outputs(self, job_id: str, *, index: int | None = None, download: str | Path | None = None) -> OutputListing:
        """The files a job uploaded (for an array: every child's, or one with index); download copies them."""
        from batchctl.jobs.outputs import download_outputs, list_outputs

        s3 = self.aws.client("s3")
        listing = list_outputs(self._batch(), s3, self.resolver(), job_id, self.target, index)
        return download_outputs(s3, listing, Path(download)) if download is not None else listing

    # -- insight: why, usage, quick runs ----------------------------------------------------------------------

    def why(self, job_id: str, *, command: str = "batchctl") -> Why:
        """Why a job is not running yet, or why it failed: a verdict, the evidence and the fix.

        `command` is how the fixes call batchctl (e.g. "batchctl --local")."""
        from batchctl.insight.facts import gather
        from batchctl.insight.why import Cluster, explain

        facts = gather(self._batch(), self._logs(), self.aws.client("s3"), self.resolver(), job_id, self.target)
        return explain(facts, Cluster.of(self.config, command))

    def usage(
        self,
        job_id: str | None = None,
        *,
        since: datetime | None = None,
        definition: str | None = None,
        all_users: bool = False,
    ) -> UsageReport:
        """Requested against used vCPU-seconds and peak memory, per job and per job definition, with a memory
        suggestion per definition and an estimated cost (a dated price table) — of one job (an array: its
        children) or of the finished jobs created since `since`."""
        from batchctl.insight.usage import collect

        if job_id:
            records = [show_job(self._batch(), self.resolver(), job_id, self.target).job]
        else:
            records = [
                record
                for record in self.jobs(statuses=("SUCCEEDED", "FAILED"), since=since, all_users=all_users)
                if record.terminal
            ]
        region = self.aws.target.region or self.names.region
        return collect(self._batch(), self.aws.client("s3"), self.resolver(), records, region, definition)

    def run(
        self,
        command: list[str],
        *,
        queue: str | None = None,
        definition: str | None = None,
        image: str | None = None,
        name: str | None = None,
        array_size: int | None = None,
        vcpus: float | None = None,
        memory: int | None = None,
        environment: Mapping[str, str] | None = None,
        inputs: Mapping[str, str] | None = None,
        timeout: int | None = None,
        retries: int | None = None,
        dry_run: bool = False,
        force: bool = False,
    ) -> SubmitResult:
        """Submit one job without a job file (default: the first queue and job definition of batchctl.yaml).

        image: a full image reference, run on a job definition derived from the cluster's first one (registered
        once, then reused); not with definition. The job is checked as a job file's would be (see submit).
        """
        from batchctl.jobs import adhoc

        if image and definition:
            raise BatchctlError("give a job definition or an image, not both")
        if image:
            definition = (
                adhoc.planned_image_definition(self.config, image)
                if dry_run
                else adhoc.image_definition(self._batch(), self.resolver(planning=True), self.config, image)
            )
        job_file = adhoc.one_job_file(
            self.config,
            command,
            queue=queue,
            definition=definition,
            name=name,
            array_size=array_size,
            vcpus=vcpus,
            memory=memory,
            environment=dict(environment or {}),
            inputs=dict(inputs or {}),
            timeout=timeout,
            retries=retries,
        )
        return self._submit_file(job_file, adhoc.SOURCE, dry_run=dry_run, force=force)

    # -- images ------------------------------------------------------------------------------------------------

    def repository_uri(self) -> str:
        uri = self.stack_outputs().get(keys.REPOSITORY_URI)
        if not uri:
            raise NotFoundError(f"the stack of {self.names.name} has no {keys.REPOSITORY_URI} output")
        return uri

    def build_image(
        self, directory: str | Path, tag: str | None = None, on_line: Callable[[str], None] = lambda line: None
    ) -> BuiltImage:
        """Build DIR's Dockerfile as <repository URI>:<tag> (default tag: the directory's name)."""
        from batchctl.images.build import build_image, default_tag, image_reference
        from batchctl.images.engine import docker_client

        directory = Path(directory)
        reference = image_reference(self.repository_uri(), tag or default_tag(directory))
        return build_image(docker_client(), directory, reference, on_line)

    def push_image(
        self, tags: list[str] | None = None, on_line: Callable[[str], None] = lambda line: None
    ) -> PushResult:
        """Push tags of the cluster repository (default: every one on this Docker engine)."""
        from batchctl.aws.ecr import Ecr
        from batchctl.images.build import image_reference
        from batchctl.images.engine import docker_client
        from batchctl.images.push import local_references, push_images

        uri = self.repository_uri()
        client = docker_client()
        references = [image_reference(uri, tag) for tag in tags] if tags else local_references(client, uri)
        return PushResult(push_images(client, Ecr(self.aws.client("ecr")), references, on_line))
