"""Deploy the demo cluster into the local emulator through the CLI and check it through boto3.

One module-scoped deployment serves the read-only assertions; redeploy and destroy run after them, in order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.helpers import DEMO_CONFIG, capture_cli, write_yaml

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def clients(emulator: Any) -> dict[str, Any]:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=emulator.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return {name: client(name) for name in ("batch", "s3", "ecr", "logs", "cloudformation", "ec2")}


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_yaml(tmp_path_factory.mktemp("deploy") / "batchctl.yaml", {**DEMO_CONFIG, "name": "itest"})


@pytest.fixture(scope="module")
def deployed(emulator: Any, config_file: Path) -> Iterator[dict[str, str]]:
    code, out, err = capture_cli(["--local", "-f", str(config_file), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "CREATE_COMPLETE"
    yield result["outputs"]


def test_outputs_name_every_resource(deployed: dict[str, str]) -> None:
    assert deployed["QueueCpu"] == f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/itest-cpu"
    assert deployed["JobDefinitionHelloworld"].startswith(
        f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/itest-helloworld:"
    )
    assert deployed["LogGroupHelloworld"] == "/itest/job/helloworld"
    assert deployed["RepositoryUri"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/itest"
    for role in ("Inputs", "Workspace", "Outputs"):
        assert deployed[f"Bucket{role}"] == f"itest-{role.lower()}-{ACCOUNT}-{REGION}"


def test_compute_environment_valid_and_queue_linked(deployed: dict[str, str], clients: dict[str, Any]) -> None:
    batch = clients["batch"]
    (ce,) = batch.describe_compute_environments(computeEnvironments=["itest-cpu-spot"])["computeEnvironments"]
    assert (ce["state"], ce["status"], ce["type"]) == ("ENABLED", "VALID", "MANAGED")
    assert ce["computeResources"]["type"] == "SPOT"
    assert ce["computeResources"]["maxvCpus"] == 16
    (queue,) = batch.describe_job_queues(jobQueues=["itest-cpu"])["jobQueues"]
    assert (queue["state"], queue["status"]) == ("ENABLED", "VALID")
    assert [item["computeEnvironment"] for item in queue["computeEnvironmentOrder"]] == [ce["computeEnvironmentArn"]]


def test_job_definition_image_and_resources(deployed: dict[str, str], clients: dict[str, Any]) -> None:
    (definition,) = clients["batch"].describe_job_definitions(jobDefinitionName="itest-helloworld", status="ACTIVE")[
        "jobDefinitions"
    ]
    container = definition["containerProperties"]
    assert container["image"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/itest:helloworld"
    resources = {item["type"]: item["value"] for item in container["resourceRequirements"]}
    assert resources == {"VCPU": "1", "MEMORY": "512"}
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/itest/job/helloworld"


def test_buckets_repository_and_log_group_exist(deployed: dict[str, str], clients: dict[str, Any]) -> None:
    buckets = {bucket["Name"] for bucket in clients["s3"].list_buckets()["Buckets"]}
    assert {deployed["BucketInputs"], deployed["BucketWorkspace"], deployed["BucketOutputs"]} <= buckets
    repositories = clients["ecr"].describe_repositories(repositoryNames=["itest"])["repositories"]
    # Scan-on-push and the lifecycle rule are asserted on the template: moto's ECR ignores both.
    assert repositories[0]["repositoryName"] == "itest"
    groups = clients["logs"].describe_log_groups(logGroupNamePrefix="/itest/job/")["logGroups"]
    assert [group["logGroupName"] for group in groups] == ["/itest/job/helloworld"]


def test_status_reports_compute_and_queue_states(deployed: dict[str, str], config_file: Path) -> None:
    code, out, err = capture_cli(["--local", "-f", str(config_file), "-o", "json", "status"])
    assert code == 0, err
    state = json.loads(out)
    assert state["stack_status"] == "CREATE_COMPLETE"
    assert [(r["kind"], r["name"], r["state"], r["status"]) for r in state["resources"]] == [
        ("compute environment", "itest-cpu-spot", "ENABLED", "VALID"),
        ("queue", "itest-cpu", "ENABLED", "VALID"),
    ]


def test_second_deploy_reports_no_changes(deployed: dict[str, str], config_file: Path) -> None:
    code, _, err = capture_cli(["--local", "-f", str(config_file), "deploy", "--yes"])
    assert code == 0, err
    assert "batchctl-itest: no changes" in err


def test_changed_config_redeploys(deployed: dict[str, str], config_file: Path, clients: dict[str, Any]) -> None:
    changed = {
        **DEMO_CONFIG,
        "name": "itest",
        "queues": [{"name": "cpu", "priority": 7, "compute_environments": ["cpu-spot"]}],
        "job_definitions": [{**DEMO_CONFIG["job_definitions"][0], "memory": 1024}],
    }
    write_yaml(config_file, changed)
    code, _, err = capture_cli(["--local", "-f", str(config_file), "deploy", "--yes"])
    assert code == 0, err
    assert "UPDATE_COMPLETE" in err
    assert "compatibility layer" in err
    (queue,) = clients["batch"].describe_job_queues(jobQueues=["itest-cpu"])["jobQueues"]
    assert queue["priority"] == 7
    active = clients["batch"].describe_job_definitions(jobDefinitionName="itest-helloworld", status="ACTIVE")
    memories = [
        {item["type"]: item["value"] for item in jd["containerProperties"]["resourceRequirements"]}["MEMORY"]
        for jd in active["jobDefinitions"]
    ]
    assert memories == ["1024"]


def test_destroy_keeps_buckets_holding_objects(
    deployed: dict[str, str], config_file: Path, clients: dict[str, Any]
) -> None:
    clients["s3"].put_object(Bucket=deployed["BucketOutputs"], Key="result.txt", Body=b"keep me")
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes"])
    assert code == 0, err
    assert f"kept bucket {deployed['BucketOutputs']} (holds objects" in err
    assert f"deleted bucket {deployed['BucketInputs']}" in err
    buckets = {bucket["Name"] for bucket in clients["s3"].list_buckets()["Buckets"]}
    assert deployed["BucketOutputs"] in buckets
    assert deployed["BucketInputs"] not in buckets
    assert clients["batch"].describe_job_queues(jobQueues=["itest-cpu"])["jobQueues"] == []
    ces = clients["batch"].describe_compute_environments(computeEnvironments=["itest-cpu-spot"])
    assert ces["computeEnvironments"] == []
    stacks = clients["cloudformation"].list_stacks(StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])
    assert all(summary["StackName"] != "batchctl-itest" for summary in stacks["StackSummaries"])


def test_destroy_with_delete_data_removes_buckets(emulator: Any, tmp_path: Path, clients: dict[str, Any]) -> None:
    config_file = write_yaml(tmp_path / "batchctl.yaml", {**DEMO_CONFIG, "name": "itest2"})
    code, out, err = capture_cli(["--local", "-f", str(config_file), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    outputs = json.loads(out)["outputs"]
    clients["s3"].put_object(Bucket=outputs["BucketOutputs"], Key="result.txt", Body=b"bye")
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes", "--delete-data"])
    assert code == 0, err
    buckets = {bucket["Name"] for bucket in clients["s3"].list_buckets()["Buckets"]}
    assert not {outputs["BucketInputs"], outputs["BucketOutputs"], outputs["BucketWorkspace"]} & buckets


def test_template_over_the_inline_limit_deploys_from_the_artifacts_bucket(
    emulator: Any, tmp_path: Path, clients: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchctl.aws import cloudformation

    # The demo template is ~27 KiB; a lower limit sends it the way a large production template goes.
    monkeypatch.setattr("batchctl.cluster.deploy.INLINE_TEMPLATE_LIMIT", 1024)
    assert cloudformation.INLINE_TEMPLATE_LIMIT == 51_200
    config_file = write_yaml(tmp_path / "batchctl.yaml", {**DEMO_CONFIG, "name": "itest3"})
    code, out, err = capture_cli(["--local", "-f", str(config_file), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    bucket = f"batchctl-artifacts-{ACCOUNT}-{REGION}"
    assert f"uploading it to s3://{bucket}" in err
    assert json.loads(out)["status"] == "CREATE_COMPLETE"
    keys = [item["Key"] for item in clients["s3"].list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("templates/batchctl-itest3/")
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes", "--delete-data"])
    assert code == 0, err


def test_failed_deploy_names_the_resource_and_the_rollback_then_recovers(
    emulator: Any, tmp_path: Path, clients: dict[str, Any]
) -> None:
    # A repository of the cluster's name that already exists makes the stack's repository fail to create.
    clients["ecr"].create_repository(repositoryName="itest4")
    config_file = write_yaml(tmp_path / "batchctl.yaml", {**DEMO_CONFIG, "name": "itest4"})
    code, _, err = capture_cli(["--local", "-f", str(config_file), "deploy", "--yes"])
    assert code == 1
    error = next(line for line in err.splitlines() if line.startswith("Error:"))
    assert "RegistryRepository" in error and "AWS::ECR::Repository" in error
    assert "ROLLBACK_COMPLETE" in error
    assert "Traceback" not in err
    # Nothing half-created is left: the rolled-back stack and the (retained, empty) buckets it made are gone.
    assert "cleaned up: deleted stack batchctl-itest4, bucket itest4-inputs-" in err
    buckets = {bucket["Name"] for bucket in clients["s3"].list_buckets()["Buckets"]}
    assert not any(name.startswith("itest4-") for name in buckets)

    clients["ecr"].delete_repository(repositoryName="itest4")
    code, _, err = capture_cli(["--local", "-f", str(config_file), "deploy", "--yes"])
    assert code == 0, err
    assert "CREATE_COMPLETE" in err
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes", "--delete-data"])
    assert code == 0, err
