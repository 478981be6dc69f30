"""Job files of the Terraform project batchctl replaces, read as they are.

tests/seed_templates/ holds files of the shapes of that project's three helloworld templates (one job, an array,
five jobs chained by jobId with N_TO_N and SEQUENTIAL): a top-level list, full AWS names built from `project`,
envvars, resources, parameters. They are submitted unchanged here (requests) and in
tests/e2e/test_seed_templates_e2e.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.helpers import DEMO_CONFIG, run_cli, write_yaml

from batchctl.config import ClusterConfig
from batchctl.errors import ConfigError, NotFoundError
from batchctl.jobs.explain import batchctl_form
from batchctl.jobs.jobfile import JobFile, load_job_file, parse_job_file
from batchctl.jobs.requests import plan_submission, with_dependencies
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.template import Builtins, is_list_form

SEED = Path(__file__).resolve().parents[1] / "seed_templates"
ARN = "arn:aws:batch:us-east-1:123456789012"
CONFIG = ClusterConfig.model_validate(
    {
        **DEMO_CONFIG,
        "queues": [
            {"name": "cpu", "compute_environments": ["cpu-spot"]},
            {"name": "cpu-p3", "compute_environments": ["cpu-spot"]},
        ],
    }
)
OUTPUTS = {
    "QueueCpu": f"{ARN}:job-queue/demo-cpu",
    "QueueCpuP3": f"{ARN}:job-queue/demo-cpu-p3",
    "JobDefinitionHelloworld": f"{ARN}:job-definition/demo-helloworld:3",
    "BucketOutputs": "demo-outputs",
}
RESOLVER = Resolver(CONFIG, OUTPUTS)
NOW = datetime(2026, 1, 2, 15, 4, 5, tzinfo=UTC)
BUILTINS = Builtins("alice", "demo", "0a1b2c3d", NOW)


def load(name: str, **variables: str) -> JobFile:
    return load_job_file(SEED / name, variables, BUILTINS)


def requests(job_file: JobFile, resolver: Resolver = RESOLVER) -> list[dict[str, Any]]:
    planned = plan_submission(job_file, resolver, "alice", "0a1b2c3d")
    ids = {item.name: f"id-of-{item.name}" for item in planned}
    return [with_dependencies(item, ids) for item in planned]


def environment(request: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in request["containerOverrides"]["environment"]}


def test_one_job_with_full_aws_names_envvars_resources_and_parameters() -> None:
    (request,) = requests(load("helloworld.yaml", greeting="hi"))
    epoch = int(NOW.timestamp())  # the Terraform project's timestamp: epoch seconds
    assert request["jobName"] == f"helloworld-alice-{epoch}-0a1b2c3d"
    assert request["jobQueue"] == OUTPUTS["QueueCpuP3"]  # demo-cpu-p3: the AWS name of the queue cpu-p3
    assert request["jobDefinition"] == OUTPUTS["JobDefinitionHelloworld"]
    overrides = request["containerOverrides"]
    assert overrides["command"] == ["python3", "/app/hello.py", "--greeting", "hi", "--name", "env:GREETING_NAME"]
    assert environment(request)["GREETING_NAME"] == "alice"
    assert overrides["resourceRequirements"] == [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}]
    assert request["parameters"] == {"run": "0a1b2c3d"}  # unique_id: the submission's id
    assert request["timeout"] == {"attemptDurationSeconds": 600}
    assert request["tags"]["purpose"] == "helloworld"


def test_array_job() -> None:
    (request,) = requests(load("helloworld-array.yaml", size="4"))
    assert request["arrayProperties"] == {"size": 4}
    assert request["containerOverrides"]["command"][-1] == "${BATCHCTL_ARRAY_INDEX}"


def test_five_jobs_chained_by_job_id() -> None:
    sent = requests(load("helloworld-dependencies.yaml"))
    names = [request["jobName"].removesuffix("-0a1b2c3d") for request in sent]
    assert names == [f"{step}-0a1b2c3d" for step in ("prepare", "fan", "each", "in-turn", "report")]
    by_name = {name.split("-0a1b")[0]: request for name, request in zip(names, sent, strict=True)}
    ids = {step: f"id-of-{step}-0a1b2c3d" for step in by_name}
    assert by_name["fan"]["dependsOn"] == [{"jobId": ids["prepare"]}]
    assert by_name["each"]["dependsOn"] == [{"jobId": ids["fan"], "type": "N_TO_N"}]
    assert by_name["in-turn"]["dependsOn"] == [{"type": "SEQUENTIAL"}, {"jobId": ids["prepare"]}]
    assert by_name["report"]["dependsOn"] == [{"jobId": ids["each"]}, {"jobId": ids["in-turn"]}]
    assert {environment(request)["STEP"] for request in sent} == {"prepare", "fan", "each", "in-turn", "report"}


def test_a_queue_given_on_the_command_line_is_used_as_the_seed_users_do() -> None:
    # The template formats the variable with `project`: users give a pattern, as they did.
    (request,) = requests(load("helloworld.yaml", queue="%s-cpu"))
    assert request["jobQueue"] == OUTPUTS["QueueCpu"]


def test_a_queue_name_that_is_not_the_clusters_is_refused_with_its_queues() -> None:
    resolver = Resolver(CONFIG.model_copy(update={"queues": CONFIG.queues[:1]}), OUTPUTS)
    with pytest.raises(ConfigError) as caught:
        requests(load("helloworld.yaml"), resolver)
    assert re.fullmatch(
        r".*helloworld\.yaml:4: job \"helloworld-alice-\d+\": queue: unknown queue 'demo-cpu-p3' "
        r"\(did you mean \"demo-cpu\"\?\); the queues of cluster demo: cpu \(demo-cpu\)",
        caught.value.message,
    )
    assert caught.value.hint == (
        "use a queue's name from batchctl.yaml, its full AWS name or an ARN; "
        "or add a queue named 'cpu-p3' to batchctl.yaml and deploy"
    )


def test_a_dry_run_resolves_aws_names_against_batchctl_yaml() -> None:
    (request,) = requests(load("helloworld.yaml"), Resolver(CONFIG, None))
    assert request["jobQueue"] == "<output QueueCpuP3>"
    assert request["jobDefinition"] == "<output JobDefinitionHelloworld>"


def test_a_definition_revision_must_be_the_deployed_one() -> None:
    text = "- {name: a, queue: cpu, definition: demo-helloworld:%s}\n"
    (request,) = requests(parse_job_file(text % 3, "jobs.yaml"))
    assert request["jobDefinition"] == OUTPUTS["JobDefinitionHelloworld"]
    with pytest.raises(ConfigError, match=r"the cluster's demo-helloworld is at revision 3"):
        requests(parse_job_file(text % 2, "jobs.yaml"))


def test_the_aws_name_of_a_definition_not_yet_deployed_says_so() -> None:
    train = CONFIG.job_definitions[0].model_copy(update={"name": "train"})
    resolver = Resolver(CONFIG.model_copy(update={"job_definitions": [*CONFIG.job_definitions, train]}), OUTPUTS)
    job_file = parse_job_file("- {name: a, queue: cpu, definition: demo-train}\n", "jobs.yaml")
    with pytest.raises(NotFoundError, match=r"job definition 'train' is in batchctl\.yaml but not deployed"):
        requests(job_file, resolver)


def test_batchctl_reads_a_list_of_its_own_jobs() -> None:
    job_file = parse_job_file("- {name: a, queue: cpu, definition: helloworld, environment: {A: 1}}\n", "jobs.yaml")
    assert [job.environment for job in job_file.jobs] == [{"A": "1"}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- name: a\n  queue: cpu\n  definition: helloworld\n  envvars: {A: 1}\n  environment: {B: 2}\n",
            'jobs.yaml:4: job "a": envvars: environment is given too',
        ),
        (
            "- name: a\n  queue: cpu\n  definition: helloworld\n  resources: {VCPUS: 2}\n",
            'jobs.yaml:4: job "a": resources: unknown resource \'VCPUS\' (did you mean "VCPU"?)',
        ),
        (
            "- name: a\n  queue: cpu\n  definition: helloworld\n  resources: {VCPU: 2}\n  vcpus: 1\n",
            'jobs.yaml:4: job "a": resources: vcpus is given too',
        ),
        (
            "- name: a\n  queue: cpu\n  definition: helloworld\n  resources: 2\n",
            'jobs.yaml:4: job "a": resources: expected a mapping such as {VCPU: 2, MEMORY: 4096, GPU: 1}',
        ),
        (
            "- name: a\n  queue: cpu\n  definition: helloworld\n  timeout: {seconds: 60}\n",
            'jobs.yaml:4: job "a": timeout: expected seconds, or {attemptDurationSeconds: N}',
        ),
        (
            "- {name: b, queue: cpu, definition: helloworld}\n"
            "- name: a\n  queue: cpu\n  definition: helloworld\n  depends_on: [{jobId: b, name: b}]\n",
            'jobs.yaml:5: job "a": depends_on: a dependency has both jobId and name',
        ),
        (
            "- name: a\n  queue: cpu\n  definition: helloworld\n  resources: {MEMORY: 2}\n",
            'jobs.yaml:4: job "a": memory: Input should be greater than or equal to 4',
        ),
        (
            "- name: a\n  queue: cpu\n  definition: helloworld\n  depends_on: [{jobId: nope}]\n",
            "jobs.yaml:4: job \"a\": depends_on[0]: no job named 'nope' in this file",
        ),
    ],
)
def test_bad_seed_keys_get_one_located_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        requests(parse_job_file(text, "jobs.yaml"))
    assert caught.value.message.startswith(message), caught.value.message


def test_list_form_is_told_from_the_template_text() -> None:
    assert is_list_form("# comment\n{% set x = 1 %}\n\n- name: a\n")
    assert is_list_form((SEED / "helloworld-dependencies.yaml").read_text())
    assert not is_list_form("jobs:\n  - name: a\n")
    # batchctl's own form keeps its timestamp.
    assert BUILTINS.variables("jobs:\n")["timestamp"] == "20260102-150405"


@pytest.mark.parametrize("name", ["helloworld.yaml", "helloworld-array.yaml", "helloworld-dependencies.yaml"])
def test_explain_gives_batchctls_form_which_reads_back_the_same(name: str) -> None:
    job_file = load(name)
    text = batchctl_form(job_file, RESOLVER)
    document = yaml.safe_load(text)
    assert list(document) == ["jobs"]
    for job in document["jobs"]:
        assert job["queue"] == "cpu-p3" and job["definition"] == "helloworld"
        assert not {"envvars", "resources"} & set(job)
    again = parse_job_file(text, "explained.yaml")
    assert requests(again) == requests(job_file)


def test_submit_explain_on_the_command_line(tmp_path: Path, capsys: Any) -> None:
    config = write_yaml(
        tmp_path / "batchctl.yaml", {**DEMO_CONFIG, "queues": [*DEMO_CONFIG["queues"], {"name": "cpu-p3"}]}
    )
    code, out, err = run_cli(["-f", str(config), "submit", str(SEED / "helloworld-array.yaml"), "--explain"], capsys)
    assert code == 0, err
    (job,) = yaml.safe_load(out)["jobs"]
    assert job["queue"] == "cpu-p3"
    assert job["environment"] == {"GREETING_NAME": job["name"].split("-")[2]}
    assert job["vcpus"] == 1.0 and job["memory"] == 512 and job["array_size"] == 3
