"""Shared pieces of the local emulator's unit tests: moto in-process, templates deployed through change sets, a
fake Docker engine, and helpers that submit and wait for jobs.

Job scenarios run the executor's real job loop against moto in-process with :class:`FakeDocker`, so they need no
Docker engine; the end-to-end tests run the same behaviour with real containers.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import docker.errors
import pytest
from moto import mock_aws
from moto.batch.models import Job, batch_backends
from moto.utilities.docker_utilities import DockerModel

from batchctl.local import compat, executor, scheduler

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "demo"


@pytest.fixture(scope="module")
def patched() -> Iterator[None]:
    """The compatibility patches and the executor's seams, for one test module."""
    compat.apply_all()
    yield
    compat.revert_all()


@pytest.fixture
def aws(patched: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "MOTO_PORT": "4711",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


# --- templates ----------------------------------------------------------------------------------------------------


def assume(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def batch_template(**overrides: Any) -> dict[str, Any]:
    """A small Batch stack: network, roles, one compute environment, one queue, one job definition."""
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"},
        },
        "ComputeSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "compute", "VpcId": {"Ref": "Vpc"}},
        },
        "ServiceRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": assume("batch.amazonaws.com")},
        },
        "InstanceRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": assume("ec2.amazonaws.com")},
        },
        "InstanceProfile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "InstanceRole"}]}},
        "ComputeEnvironment": {
            "Type": "AWS::Batch::ComputeEnvironment",
            "Properties": {
                "ComputeEnvironmentName": "demo-ce",
                "Type": "MANAGED",
                "ServiceRole": {"Fn::GetAtt": ["ServiceRole", "Arn"]},
                "ComputeResources": {
                    "Type": "EC2",
                    "MinvCpus": 0,
                    "MaxvCpus": 16,
                    "InstanceTypes": ["optimal"],
                    "Subnets": [{"Ref": "Subnet"}],
                    "SecurityGroupIds": [{"Fn::GetAtt": ["ComputeSecurityGroup", "GroupId"]}],
                    "InstanceRole": {"Fn::GetAtt": ["InstanceProfile", "Arn"]},
                },
            },
        },
        "JobQueue": {
            "Type": "AWS::Batch::JobQueue",
            "Properties": {
                "JobQueueName": "demo-queue",
                "Priority": 10,
                "ComputeEnvironmentOrder": [{"Order": 1, "ComputeEnvironment": {"Ref": "ComputeEnvironment"}}],
            },
        },
        "JobDefinition": {
            "Type": "AWS::Batch::JobDefinition",
            "Properties": {
                "JobDefinitionName": "demo-job",
                "Type": "container",
                "RetryStrategy": {"Attempts": 1},
                "ContainerProperties": {
                    "Image": "debian:bookworm-slim",
                    "Command": ["true"],
                    "ResourceRequirements": [{"Type": "VCPU", "Value": "1"}, {"Type": "MEMORY", "Value": "256"}],
                },
            },
        },
    }
    resources.update(overrides)
    return {
        "Resources": {name: value for name, value in resources.items() if value is not None},
        "Outputs": {"JobQueueArn": {"Value": {"Ref": "JobQueue"}}} if "JobQueue" in resources else {},
    }


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(template["Resources"][logical_id]["Properties"])


# --- stack operations through change sets, as the project deploys ------------------------------------------------


def deploy(template: dict[str, Any], change_set_type: str = "CREATE") -> str:
    """Create and execute a change set; return the stack status. An execution error counts as 'EXECUTE_ERROR'."""
    cloudformation = client("cloudformation")
    name = f"cs-{time.monotonic_ns()}"
    created = cloudformation.create_change_set(
        StackName=STACK, ChangeSetName=name, ChangeSetType=change_set_type, TemplateBody=json.dumps(template)
    )
    try:
        cloudformation.execute_change_set(ChangeSetName=created["Id"])
    except Exception:
        return "EXECUTE_ERROR"
    return stack_status()


def stack_status() -> str:
    return str(client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"])


def stack_outputs() -> dict[str, str]:
    stack = client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def stack_events() -> list[dict[str, Any]]:
    return list(client("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"])


def compute_environments() -> list[dict[str, Any]]:
    return list(client("batch").describe_compute_environments()["computeEnvironments"])


def job_queues() -> list[dict[str, Any]]:
    return list(client("batch").describe_job_queues()["jobQueues"])


def job_definitions() -> list[dict[str, Any]]:
    return list(client("batch").describe_job_definitions(jobDefinitionName="demo-job")["jobDefinitions"])


class FakeContainer:
    """Runs until its engine's ``release`` is set, its gate (if any) is open and its duration has passed, then exits
    with the output and exit code chosen by its engine. ``stop`` is SIGTERM (exit 143), ``kill`` SIGKILL (137)."""

    def __init__(
        self,
        kwargs: dict[str, Any],
        output: list[str],
        exit_code: int,
        release: threading.Event,
        gate: threading.Event | None = None,
        duration: float = 0.0,
        out_of_memory: bool = False,
    ) -> None:
        self.kwargs = kwargs
        self.attrs: dict[str, Any] = {"NetworkSettings": {"Networks": {}, "IPAddress": ""}}
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._log = "".join(f"{stamp} {line}\n" for line in output).encode()
        self.output = output
        self._exit_code = exit_code
        self._release = release
        self._gate = gate
        self._duration = duration
        self.status = "running"
        self.started = time.time()
        self.stopped: float | None = None
        self.signals: list[str] = []
        self.stop_timeouts: list[float] = []
        self._out_of_memory = out_of_memory

    @property
    def job_id(self) -> str:
        return str(self.kwargs["environment"]["AWS_BATCH_JOB_ID"])

    def _exit(self, exit_code: int | None = None) -> None:
        if self.status == "running":
            self.status = "exited"
            self.stopped = time.time()
            if exit_code is not None:
                self._exit_code = exit_code
            if self._out_of_memory:  # what the engine reports for a container the kernel killed at its limit
                self._exit_code = 137
                self.attrs["State"] = {"OOMKilled": True, "ExitCode": 137}

    def reload(self) -> None:
        gate_open = self._gate is None or self._gate.is_set()
        if self._release.is_set() and gate_open and time.time() - self.started >= self._duration:
            self._exit()

    def logs(self, stdout: bool = True, stderr: bool = True, **kwargs: Any) -> bytes:
        return self._log if stdout else b""

    def wait(self) -> dict[str, int]:
        return {"StatusCode": self._exit_code}

    def stop(self, timeout: float = 10) -> None:
        self.stop_timeouts.append(timeout)
        self.signals.append("SIGTERM")
        self._exit(143)

    def kill(self) -> None:
        self.signals.append("SIGKILL")
        self._exit(137)

    def remove(self) -> None:
        pass


class FakeDocker:
    """Stands in for the Docker SDK client: records launches and pulls.

    A job whose environment has ``GATE=<name>`` runs until ``gates[<name>]`` is set; ``duration`` says how long a
    container runs (seconds) before it exits.
    """

    def __init__(self, local_images: set[str]) -> None:
        self.local_images = local_images
        self.launched: list[dict[str, Any]] = []
        self.containers_started: list[FakeContainer] = []
        self.pulled: list[str] = []
        self.exit_code: Callable[[dict[str, Any]], int] = lambda kwargs: 0
        self.duration: Callable[[dict[str, Any]], float] = lambda kwargs: 0.0
        self.out_of_memory: Callable[[dict[str, Any]], bool] = lambda kwargs: False
        self.gates: dict[str, threading.Event] = {}
        self.release = threading.Event()
        self.release.set()
        self.images = self
        self.containers = self

    def get(self, name: str) -> str:
        if name not in self.local_images:
            raise docker.errors.ImageNotFound(f"No such image: {name}")
        return name

    def run(self, **kwargs: Any) -> FakeContainer:
        if kwargs["image"] not in self.local_images:
            # What the SDK does: try to pull, which fails offline.
            self.pulled.append(kwargs["image"])
            raise docker.errors.APIError(f"pull access denied for {kwargs['image']}")
        self.launched.append(kwargs)
        output = ["job output", *(f"{name}={value}" for name, value in sorted(kwargs["environment"].items()))]
        gate = self.gates.get(kwargs["environment"].get("GATE", ""))
        container = FakeContainer(
            kwargs,
            output,
            self.exit_code(kwargs),
            self.release,
            gate=gate,
            duration=self.duration(kwargs),
            out_of_memory=self.out_of_memory(kwargs),
        )
        self.containers_started.append(container)
        return container

    def containers_of(self, job_id: str) -> list[FakeContainer]:
        return [container for container in self.containers_started if container.job_id == job_id]


# Not an ECR URI: such images run from the local engine (ECR images are pulled from the emulator's registry, which
# tests/unit/test_local_registry.py and the end-to-end tier cover).
IMAGE = "batchctl-test/demo:helloworld"


@pytest.fixture
def fake_docker(aws: None, monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
    engine = FakeDocker({IMAGE})
    monkeypatch.setattr(DockerModel, "docker_client", property(lambda model: engine))
    return engine


def create_queue(log_configuration: dict[str, Any] | None = None) -> None:
    template = batch_template()
    container = template["Resources"]["JobDefinition"]["Properties"]["ContainerProperties"]
    container["Image"] = IMAGE
    container["Environment"] = [{"Name": "FROM_DEFINITION", "Value": "definition"}, {"Name": "SHARED", "Value": "jd"}]
    if log_configuration is not None:
        container["LogConfiguration"] = log_configuration
    assert deploy(template) == "CREATE_COMPLETE"


def submit(**kwargs: Any) -> str:
    response = client("batch").submit_job(jobName="hello", jobQueue="demo-queue", jobDefinition="demo-job", **kwargs)
    return str(response["jobId"])


def describe(job_id: str) -> dict[str, Any]:
    return dict(client("batch").describe_jobs(jobs=[job_id])["jobs"][0])


def wait_for(job_id: str, statuses: set[str], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = describe(job_id)
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        time.sleep(0.1)


def wait_for_children(job_id: str, size: int) -> None:
    for index in range(size):
        wait_for(f"{job_id}:{index}", {"SUCCEEDED", "FAILED"})


def env_of(launch: dict[str, Any]) -> dict[str, str]:
    return dict(launch["environment"])


# --- Batch jobs: scheduling, attempts, cancellation ---------------------------------------------------------------

TERMINAL = {"SUCCEEDED", "FAILED"}


@pytest.fixture
def fast_jobs(fake_docker: FakeDocker, monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
    """The executor looks again every 0.5 s in each state; 20 ms keeps these multi-job scenarios short."""

    monkeypatch.setattr(executor, "STEP_SECONDS", 0.02)
    return fake_docker


def deploy_jobs_stack(
    max_vcpus: int = 16,
    *,
    retry_strategy: dict[str, Any] | None = None,
    urgent_queue_priority: int | None = None,
    overflow_vcpus: int | None = None,
) -> None:
    """The demo stack with the job image, ``max_vcpus`` on its compute environment and, optionally, a retry
    strategy, a second queue on the same environment, and a second environment after the first in the queue's order."""
    template = batch_template()
    resources = template["Resources"]
    resources["ComputeEnvironment"]["Properties"]["ComputeResources"]["MaxvCpus"] = max_vcpus
    definition = resources["JobDefinition"]["Properties"]
    definition["ContainerProperties"]["Image"] = IMAGE
    if retry_strategy is not None:
        definition["RetryStrategy"] = retry_strategy
    if urgent_queue_priority is not None:
        urgent = copy.deepcopy(resources["JobQueue"])
        urgent["Properties"].update(JobQueueName="urgent-queue", Priority=urgent_queue_priority)
        resources["UrgentQueue"] = urgent
    if overflow_vcpus is not None:
        overflow = copy.deepcopy(resources["ComputeEnvironment"])
        overflow["Properties"]["ComputeEnvironmentName"] = "demo-overflow"
        overflow["Properties"]["ComputeResources"]["MaxvCpus"] = overflow_vcpus
        resources["OverflowEnvironment"] = overflow
        resources["JobQueue"]["Properties"]["ComputeEnvironmentOrder"].append(
            {"Order": 2, "ComputeEnvironment": {"Ref": "OverflowEnvironment"}}
        )
    assert deploy(template) == "CREATE_COMPLETE"


def submit_named(name: str, queue: str = "demo-queue", gate: str | None = None, **kwargs: Any) -> str:
    """Submit job ``name``; with ``gate`` its container runs until ``fake_docker.gates[gate]`` is set."""
    if gate is not None:
        overrides = kwargs.setdefault("containerOverrides", {})
        overrides.setdefault("environment", []).append({"name": "GATE", "value": gate})
    response = client("batch").submit_job(jobName=name, jobQueue=queue, jobDefinition="demo-job", **kwargs)
    return str(response["jobId"])


def backend_job(job_id: str) -> Job:
    return batch_backends[ACCOUNT][REGION]._jobs[job_id]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def wait_until_queued(job_id: str) -> None:
    """RUNNABLE and ready to start, held back only by capacity."""
    wait_until(lambda: scheduler.waiting_for_capacity(backend_job(job_id)), f"{job_id} waits for capacity")


def wait_for_all(job_ids: list[str]) -> list[dict[str, Any]]:
    return [wait_for(job_id, TERMINAL) for job_id in job_ids]


def interval(container: FakeContainer) -> tuple[float, float]:
    assert container.stopped is not None
    return container.started, container.stopped


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals that share an instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def only_container(fake: FakeDocker, job_id: str) -> FakeContainer:
    (container,) = fake.containers_of(job_id)
    return container


def queue_behind_blocker() -> tuple[str, str]:
    """A running "blocker" (held by the "blocker" gate) filling a 1-vCPU environment, and a job queued behind it."""
    blocker = submit_named("blocker", gate="blocker")
    wait_for(blocker, {"RUNNING"})
    queued = submit_named("queued")
    wait_until_queued(queued)
    return blocker, queued


def exit_codes(job: dict[str, Any]) -> list[int | None]:
    return [attempt["container"].get("exitCode") for attempt in job["attempts"]]


def children_containers(fake: FakeDocker, parent: str, size: int) -> list[FakeContainer]:
    return [only_container(fake, f"{parent}:{index}") for index in range(size)]
