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


def _buckets(clients: dict[str, Any], prefix: str) -> set[str]:
    return {bucket["Name"] for bucket in clients["s3"].list_buckets()["Buckets"] if bucket["Name"].startswith(prefix)}


def _live_stacks(clients: dict[str, Any]) -> set[str]:
    summaries = clients["cloudformation"].list_stacks()["StackSummaries"]
    return {summary["StackName"] for summary in summaries if summary["StackStatus"] != "DELETE_COMPLETE"}


def test_data_stack_is_protected_and_exports_the_stores(deployed: dict[str, str], clients: dict[str, Any]) -> None:
    cloudformation = clients["cloudformation"]
    (data,) = cloudformation.describe_stacks(StackName="batchctl-itest-data")["Stacks"]
    assert data["EnableTerminationProtection"] is True
    exports = {item["Name"]: item["Value"] for item in cloudformation.list_exports()["Exports"]}
    assert exports["batchctl-itest-data:BucketOutputs"] == deployed["BucketOutputs"]
    assert exports["batchctl-itest-data:RepositoryUri"] == deployed["RepositoryUri"]
    with pytest.raises(cloudformation.exceptions.ClientError, match="TerminationProtection is enabled"):
        cloudformation.delete_stack(StackName="batchctl-itest-data")


def test_destroy_keeps_the_data_stack_and_the_next_deploy_reuses_it(
    deployed: dict[str, str], config_file: Path, clients: dict[str, Any]
) -> None:
    clients["s3"].put_object(Bucket=deployed["BucketOutputs"], Key="result.txt", Body=b"keep me")
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes"])
    assert code == 0, err
    assert "deleted stack batchctl-itest" in err
    assert "kept data stack batchctl-itest-data (" in err and "--delete-data removes it" in err
    assert _buckets(clients, "itest-") == {
        deployed["BucketInputs"],
        deployed["BucketWorkspace"],
        deployed["BucketOutputs"],
    }
    assert clients["batch"].describe_job_queues(jobQueues=["itest-cpu"])["jobQueues"] == []
    ces = clients["batch"].describe_compute_environments(computeEnvironments=["itest-cpu-spot"])
    assert ces["computeEnvironments"] == []
    assert "batchctl-itest" not in _live_stacks(clients)

    # Deploying again reuses the data stack (no BucketAlreadyExists): the object is still there.
    code, out, err = capture_cli(["--local", "-f", str(config_file), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    assert json.loads(out)["outputs"]["BucketOutputs"] == deployed["BucketOutputs"]
    assert "batchctl-itest-data: no changes" in err
    body = clients["s3"].get_object(Bucket=deployed["BucketOutputs"], Key="result.txt")["Body"].read()
    assert body == b"keep me"


def test_destroy_with_delete_data_removes_the_kept_data_after_the_compute_stack(
    deployed: dict[str, str], config_file: Path, clients: dict[str, Any]
) -> None:
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes"])
    assert code == 0, err
    # The compute stack is gone already; --delete-data still finds and removes the data.
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes", "--delete-data"])
    assert code == 0, err
    assert "deleted stack batchctl-itest-data" in err
    assert f"deleted bucket {deployed['BucketOutputs']}" in err
    assert "deleted repository itest" in err
    assert _buckets(clients, "itest-") == set()
    assert clients["ecr"].describe_repositories()["repositories"] == []
    assert not {"batchctl-itest", "batchctl-itest-data"} & _live_stacks(clients)
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes"])
    assert code == 1 and "nothing to destroy" in err


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
    assert sorted(key.split("/")[1] for key in keys) == ["batchctl-itest3", "batchctl-itest3-data"]
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
    # Nothing half-created is left: the rollback deleted the buckets it made (they are retained only once the
    # creation succeeded), and the rolled-back stack is gone.
    assert "cleaned up: deleted stack batchctl-itest4-data" in err
    assert _buckets(clients, "itest4-") == set()
    assert not {"batchctl-itest4", "batchctl-itest4-data"} & _live_stacks(clients)

    clients["ecr"].delete_repository(repositoryName="itest4")
    code, _, err = capture_cli(["--local", "-f", str(config_file), "deploy", "--yes"])
    assert code == 0, err
    assert "CREATE_COMPLETE" in err
    code, _, err = capture_cli(["--local", "-f", str(config_file), "destroy", "--yes", "--delete-data"])
    assert code == 0, err
