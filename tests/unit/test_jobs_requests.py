"""Name resolution through stack outputs, and the SubmitJob requests built from a job file."""

from __future__ import annotations

import re

import pytest
from tests.helpers import DEMO_CONFIG

from batchctl.config import ClusterConfig
from batchctl.errors import BatchctlError, ConfigError, NotFoundError
from batchctl.jobs.jobfile import parse_job_file
from batchctl.jobs.models import MAX_JOB_NAME_LENGTH
from batchctl.jobs.requests import plan_submission, submission_name, user_share, with_dependencies
from batchctl.jobs.resolve import Resolver

ARN = "arn:aws:batch:us-east-1:123456789012"
CONFIG = ClusterConfig.model_validate(
    {
        **DEMO_CONFIG,
        "queues": [{"name": "cpu", "compute_environments": ["cpu-spot"]}, {"name": "gpu-big"}],
        "job_definitions": [*DEMO_CONFIG["job_definitions"], {"name": "train", "image": "train"}],
    }
)
OUTPUTS = {
    "QueueCpu": f"{ARN}:job-queue/demo-cpu",
    "QueueGpuBig": f"{ARN}:job-queue/demo-gpu-big",
    "JobDefinitionHelloworld": f"{ARN}:job-definition/demo-helloworld:3",
    "LogGroupHelloworld": "/demo/job/helloworld",
    "BucketInputs": "demo-inputs-123456789012-us-east-1",
    "BucketOutputs": "demo-outputs-123456789012-us-east-1",
}
RESOLVER = Resolver(CONFIG, OUTPUTS)


def plan(text: str, resolver: Resolver = RESOLVER) -> list[dict[str, object]]:
    job_file = parse_job_file(text, "jobs.yaml")
    return [item.request for item in plan_submission(job_file, resolver, "alice", "0a1b2c3d")]


def test_short_names_resolve_through_outputs() -> None:
    assert RESOLVER.queue("cpu") == OUTPUTS["QueueCpu"]
    assert RESOLVER.queue("gpu-big") == OUTPUTS["QueueGpuBig"]
    assert RESOLVER.job_definition("helloworld") == OUTPUTS["JobDefinitionHelloworld"]
    assert RESOLVER.queue(f"{ARN}:job-queue/elsewhere") == f"{ARN}:job-queue/elsewhere"
    assert RESOLVER.queues() == {"cpu": OUTPUTS["QueueCpu"], "gpu-big": OUTPUTS["QueueGpuBig"]}


def test_reverse_names_and_log_groups() -> None:
    assert RESOLVER.queue_name(OUTPUTS["QueueCpu"]) == "cpu"
    assert RESOLVER.queue_name(f"{ARN}:job-queue/other") == "other"
    # Any revision of this cluster's job definition maps back to its short name and log group.
    assert RESOLVER.job_definition_name(f"{ARN}:job-definition/demo-helloworld:1") == "helloworld"
    assert RESOLVER.log_group(f"{ARN}:job-definition/demo-helloworld:1") == "/demo/job/helloworld"
    assert RESOLVER.log_group(f"{ARN}:job-definition/foreign:1") == "/aws/batch/job"


def test_unknown_queue_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        RESOLVER.queue("cpux")
    assert caught.value.message == (
        "unknown queue 'cpux' (did you mean \"cpu\"?); the queues of cluster demo: "
        "cpu (demo-cpu), gpu-big (demo-gpu-big)"
    )


def test_configured_but_not_deployed() -> None:
    with pytest.raises(NotFoundError, match=r"job definition 'train' is in batchctl\.yaml but not deployed"):
        RESOLVER.job_definition("train")


def test_dry_run_checks_names_against_the_config_and_uses_placeholders() -> None:
    resolver = Resolver(CONFIG, None)
    assert resolver.queue("cpu") == "<output QueueCpu>"
    assert resolver.job_definition("train") == "<output JobDefinitionTrain>"
    listed = "the queues of cluster demo: cpu (demo-cpu), gpu-big (demo-gpu-big)"
    with pytest.raises(ConfigError, match=re.escape(listed)):
        resolver.queue("nope")


def test_request_carries_overrides_inputs_tags_and_the_job_name() -> None:
    (request,) = plan(
        "tags: {project: p}\n"
        "jobs:\n"
        "  - name: hello\n    queue: cpu\n    definition: helloworld\n"
        "    command: [python3, /app/hello.py]\n    array_size: 3\n"
        "    environment: {GREETING: hi}\n    vcpus: 0.5\n    memory: 1024\n    gpus: 1\n"
        "    inputs: {greeting: greeting.txt, data: 's3://other/data/'}\n"
        "    timeout: 600\n    retries: 3\n    tags: {owner: me}\n"
    )
    assert request == {
        "jobName": "hello-0a1b2c3d",
        "jobQueue": OUTPUTS["QueueCpu"],
        "jobDefinition": OUTPUTS["JobDefinitionHelloworld"],
        "containerOverrides": {
            "environment": [
                {"name": "GREETING", "value": "hi"},
                {"name": "BATCHCTL_JOB_NAME", "value": "hello"},
                {"name": "BATCHCTL_INPUT_GREETING", "value": f"s3://{OUTPUTS['BucketInputs']}/greeting.txt"},
                {"name": "BATCHCTL_INPUT_DATA", "value": "s3://other/data/"},
            ],
            "command": ["python3", "/app/hello.py"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "0.5"},
                {"type": "MEMORY", "value": "1024"},
                {"type": "GPU", "value": "1"},
            ],
        },
        "tags": {
            "project": "p",
            "owner": "me",
            "submitter": "alice",
            "batchctl:job": "hello",
            "batchctl:submission": "0a1b2c3d",
        },
        "propagateTags": True,
        "arrayProperties": {"size": 3},
        "timeout": {"attemptDurationSeconds": 600},
        "retryStrategy": {"attempts": 3},
    }


def test_the_submitter_tag_cannot_be_overridden_by_the_file() -> None:
    (request,) = plan("jobs:\n  - {name: a, queue: cpu, definition: helloworld, tags: {submitter: mallory}}\n")
    assert request["tags"]["submitter"] == "alice"  # type: ignore[index]


def test_unknown_queue_in_a_file_is_located() -> None:
    with pytest.raises(BatchctlError) as caught:
        plan("jobs:\n  - name: a\n    queue: cpux\n    definition: helloworld\n")
    assert caught.value.message == (
        'jobs.yaml:3: job "a": queue: unknown queue \'cpux\' (did you mean "cpu"?); the queues of cluster demo: '
        "cpu (demo-cpu), gpu-big (demo-gpu-big)"
    )


def test_dependencies_become_job_ids() -> None:
    job_file = parse_job_file(
        "jobs:\n"
        "  - {name: a, queue: cpu, definition: helloworld, array_size: 4}\n"
        "  - {name: b, queue: cpu, definition: helloworld, array_size: 4,"
        " depends_on: [{name: a, type: N_TO_N}, {type: SEQUENTIAL}]}\n"
        "  - {name: c, queue: cpu, definition: helloworld, depends_on: [a, b]}\n",
        "jobs.yaml",
    )
    planned = plan_submission(job_file, RESOLVER, "alice", "0a1b2c3d")
    ids = {"a": "id-a", "b": "id-b"}
    assert "dependsOn" not in with_dependencies(planned[0], ids)
    assert with_dependencies(planned[1], ids)["dependsOn"] == [
        {"jobId": "id-a", "type": "N_TO_N"},
        {"type": "SEQUENTIAL"},
    ]
    assert with_dependencies(planned[2], ids)["dependsOn"] == [{"jobId": "id-a"}, {"jobId": "id-b"}]


def test_submission_names_fit_aws_limits() -> None:
    name = submission_name("x" * MAX_JOB_NAME_LENGTH, "0a1b2c3d")
    assert len(name) == 128


def test_bare_input_key_needs_an_inputs_bucket() -> None:
    outputs = {key: value for key, value in OUTPUTS.items() if key != "BucketInputs"}
    with pytest.raises(ConfigError) as caught:
        plan(
            "jobs:\n  - {name: a, queue: cpu, definition: helloworld, inputs: [greeting.txt]}\n",
            Resolver(CONFIG, outputs),
        )
    assert caught.value.message.startswith("jobs.yaml:2: job \"a\": inputs: input 'greeting.txt' is a bare key")


# Fair share: a queue with a scheduling policy requires a share identifier on every job; other queues refuse one.
FAIR_CONFIG = ClusterConfig.model_validate(
    {
        **DEMO_CONFIG,
        "queues": [
            {"name": "cpu", "compute_environments": ["cpu-spot"], "fair_share": True},
            {"name": "gpu-big", "compute_environments": ["cpu-spot"]},
        ],
    }
)
FAIR_RESOLVER = Resolver(FAIR_CONFIG, {**OUTPUTS, "FairShareQueueCpu": "true"})


def _share_arguments(request: dict[str, object]) -> dict[str, object]:
    return {key: request[key] for key in ("shareIdentifier", "schedulingPriorityOverride") if key in request}


@pytest.mark.parametrize(
    ("user", "share"),
    [("alice", "alice"), ("jane.doe@example.com", "janedoeexamplecom"), ("Ω_", "default"), ("a" * 300, "a" * 255)],
)
def test_user_share_follows_the_aws_rule(user: str, share: str) -> None:
    assert user_share(user) == share


def test_fair_share_queue_defaults_the_share_to_the_user() -> None:
    (request,) = plan("jobs:\n  - {name: a, queue: cpu, definition: helloworld}\n", FAIR_RESOLVER)
    assert _share_arguments(request) == {"shareIdentifier": "alice"}


def test_share_and_priority_from_the_job_file() -> None:
    (request,) = plan(
        "jobs:\n  - {name: a, queue: cpu, definition: helloworld, share: teamA, scheduling_priority: 9999}\n",
        FAIR_RESOLVER,
    )
    assert _share_arguments(request) == {"shareIdentifier": "teamA", "schedulingPriorityOverride": 9999}


def test_queue_without_fair_share_gets_no_share_and_refuses_one() -> None:
    (request,) = plan("jobs:\n  - {name: a, queue: gpu-big, definition: helloworld}\n", FAIR_RESOLVER)
    assert _share_arguments(request) == {}
    with pytest.raises(ConfigError) as caught:
        plan("jobs:\n  - name: a\n    queue: gpu-big\n    definition: helloworld\n    share: teamA\n", FAIR_RESOLVER)
    assert caught.value.message == (
        "jobs.yaml:5: job \"a\": share: queue 'gpu-big' has no fair-share policy: share and scheduling_priority "
        "apply to fair-share queues only"
    )
    with pytest.raises(ConfigError, match=r'jobs\.yaml:2: job "a": scheduling_priority: queue'):
        plan("jobs:\n  - {name: a, queue: gpu-big, definition: helloworld, scheduling_priority: 1}\n", FAIR_RESOLVER)


def test_fair_share_comes_from_the_outputs_not_the_config() -> None:
    # Configured with fair share but deployed without it (not deployed yet): AWS would refuse a share identifier.
    (request,) = plan("jobs:\n  - {name: a, queue: cpu, definition: helloworld}\n", Resolver(FAIR_CONFIG, OUTPUTS))
    assert _share_arguments(request) == {}


def test_dry_run_reads_fair_share_from_the_config() -> None:
    (request,) = plan("jobs:\n  - {name: a, queue: cpu, definition: helloworld}\n", Resolver(FAIR_CONFIG, None))
    assert _share_arguments(request) == {"shareIdentifier": "alice"}


def test_queue_given_by_arn_takes_the_share_as_written() -> None:
    other = f"{ARN}:job-queue/elsewhere"
    (plain,) = plan(f"jobs:\n  - {{name: a, queue: '{other}', definition: helloworld}}\n", FAIR_RESOLVER)
    assert _share_arguments(plain) == {}
    (shared,) = plan(f"jobs:\n  - {{name: a, queue: '{other}', definition: helloworld, share: x1}}\n", FAIR_RESOLVER)
    assert _share_arguments(shared) == {"shareIdentifier": "x1"}


@pytest.mark.parametrize("share", ["team-a", "team_a", "", "a" * 256])
def test_share_outside_the_aws_rule_is_refused_where_it_is(share: str) -> None:
    with pytest.raises(ConfigError, match=r"share: .*a share identifier is 1-255 letters and digits"):
        parse_job_file(f"jobs:\n  - {{name: a, queue: cpu, definition: helloworld, share: '{share}'}}\n", "jobs.yaml")


def test_retries_keep_the_definitions_exit_rules() -> None:
    """SubmitJob's retryStrategy replaces the definition's, evaluateOnExit included: the rules are sent again."""
    retrying = ClusterConfig.model_validate(
        {**DEMO_CONFIG, "job_definitions": [{**DEMO_CONFIG["job_definitions"][0], "retries": 2}]}
    )
    job = "jobs:\n  - name: hello\n    queue: cpu\n    definition: {definition}\n    retries: 4\n"
    (request,) = plan(job.format(definition="helloworld"), Resolver(retrying, OUTPUTS))
    assert request["retryStrategy"] == {
        "attempts": 4,
        "evaluateOnExit": [
            {"action": "RETRY", "onStatusReason": "Host EC2*"},
            {"action": "EXIT", "onReason": "*"},
        ],
    }
    # A definition without a retry has no rules: the job's attempts then apply to any failure.
    (request,) = plan(job.format(definition="helloworld"))
    assert request["retryStrategy"] == {"attempts": 4}
    # Another cluster's definition, by ARN: its rules are unknown here.
    (request,) = plan(job.format(definition=f"'{ARN}:job-definition/other:1'"), Resolver(retrying, OUTPUTS))
    assert request["retryStrategy"] == {"attempts": 4}
