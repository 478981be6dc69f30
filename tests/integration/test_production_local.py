"""Deploy examples/production.yaml into the local emulator through the CLI, check it through boto3, destroy it.

The user-supplied buckets exist before the deployment, as a user's would; the cluster uses them but neither
creates nor deletes them. The tests run in file order: the last one destroys the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import capture_cli, write_yaml

from batchctl import outputs as keys
from batchctl.config import ClusterConfig, load_config

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "production.yaml"
MARKER_KEY = "batchctl-test/keep-me.txt"


@pytest.fixture(scope="module")
def config() -> ClusterConfig:
    return load_config(EXAMPLE)


@pytest.fixture(scope="module")
def user_buckets(emulator: Any, config: ClusterConfig) -> list[str]:
    """The buckets the example names, created as their owner would have them, each holding an object."""
    s3 = emulator.client("s3")
    names = sorted({*config.storage.read_only, *config.storage.read_write})
    for name in names:
        s3.create_bucket(Bucket=name)
        s3.put_object(Bucket=name, Key=MARKER_KEY, Body=b"owned by the user")
    return names


@pytest.fixture(scope="module")
def deployed(emulator: Any, user_buckets: list[str]) -> Iterator[dict[str, str]]:
    code, out, err = capture_cli(["--local", "-f", str(EXAMPLE), "-o", "json", "deploy", "--yes"])
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "CREATE_COMPLETE", result
    yield result["outputs"]


def test_every_compute_environment_is_valid_and_enabled(
    deployed: dict[str, str], config: ClusterConfig, emulator: Any
) -> None:
    names = [config.resource_name(ce.name) for ce in config.compute_environments]
    found = emulator.client("batch").describe_compute_environments(computeEnvironments=names)["computeEnvironments"]
    assert sorted(ce["computeEnvironmentName"] for ce in found) == sorted(names)
    by_name = {ce["computeEnvironmentName"]: ce for ce in found}
    for ce in config.compute_environments:
        live = by_name[config.resource_name(ce.name)]
        assert (live["state"], live["status"]) == ("ENABLED", "VALID"), live.get("statusReason")
        assert live["computeResources"]["type"] == ce.type
        assert live["computeResources"]["maxvCpus"] == ce.max_vcpus
        assert deployed[keys.output_key(keys.COMPUTE_ENVIRONMENT, ce.name)] == live["computeEnvironmentArn"]


def test_queues_are_enabled_with_spot_first_then_on_demand(
    deployed: dict[str, str], config: ClusterConfig, emulator: Any
) -> None:
    batch = emulator.client("batch")
    for queue in config.queues:
        (live,) = batch.describe_job_queues(jobQueues=[config.resource_name(queue.name)])["jobQueues"]
        assert (live["state"], live["status"]) == ("ENABLED", "VALID"), queue.name
        assert live["priority"] == queue.priority
        order = sorted(live["computeEnvironmentOrder"], key=lambda item: item["order"])
        assert [item["computeEnvironment"] for item in order] == [
            deployed[keys.output_key(keys.COMPUTE_ENVIRONMENT, name)] for name in queue.compute_environments
        ]
        assert deployed[keys.output_key(keys.QUEUE, queue.name)] == live["jobQueueArn"]


def test_fair_share_queues_are_named_in_the_outputs(deployed: dict[str, str], config: ClusterConfig) -> None:
    fair = {key: value for key, value in deployed.items() if key.startswith(keys.FAIR_SHARE_QUEUE)}
    assert fair == {keys.output_key(keys.FAIR_SHARE_QUEUE, queue.name): "true" for queue in config.queues}


def test_jobs_for_a_fair_share_queue_get_a_share_from_the_deployed_outputs(
    deployed: dict[str, str], config: ClusterConfig
) -> None:
    from batchctl.jobs.jobfile import parse_job_file
    from batchctl.jobs.requests import plan_submission
    from batchctl.jobs.resolve import Resolver

    job_file = parse_job_file(
        "jobs:\n  - {name: a, queue: cpu, definition: helloworld}\n"
        "  - {name: b, queue: gpu, definition: train-gpu, share: vision, scheduling_priority: 5}\n",
        "jobs.yaml",
    )
    first, second = plan_submission(job_file, Resolver(config, deployed), "jane.doe", "0a1b2c3d")
    assert first.request["shareIdentifier"] == "janedoe"
    assert (second.request["shareIdentifier"], second.request["schedulingPriorityOverride"]) == ("vision", 5)


def test_three_zones_behind_endpoints_without_nat(deployed: dict[str, str], emulator: Any) -> None:
    cloudformation, ec2 = emulator.client("cloudformation"), emulator.client("ec2")
    resources = cloudformation.describe_stack_resources(StackName="batchctl-prod")["StackResources"]
    kinds = {item["ResourceType"] for item in resources}
    assert not kinds & {"AWS::EC2::NatGateway", "AWS::EC2::Instance", "AWS::EC2::InternetGateway", "AWS::EC2::EIP"}
    (vpc_id,) = {item["PhysicalResourceId"] for item in resources if item["ResourceType"] == "AWS::EC2::VPC"}
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert sorted(subnet["AvailabilityZone"] for subnet in subnets) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert not any(subnet["MapPublicIpOnLaunch"] for subnet in subnets)
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    services = sorted(endpoint["ServiceName"].removeprefix("com.amazonaws.us-east-1.") for endpoint in endpoints)
    assert services == ["ecr.api", "ecr.dkr", "ecs", "ecs-agent", "ecs-telemetry", "logs", "s3"]


def test_the_user_buckets_are_used_not_created(
    deployed: dict[str, str], config: ClusterConfig, user_buckets: list[str], emulator: Any
) -> None:
    resources = emulator.client("cloudformation").describe_stack_resources(StackName="batchctl-prod")
    assert [item for item in resources["StackResources"] if item["ResourceType"] == "AWS::S3::Bucket"] == []
    assert deployed[keys.output_key(keys.BUCKET, "outputs")] == config.storage.outputs_bucket
    assert deployed[keys.READ_ONLY_BUCKETS].split(",") == config.storage.read_only
    assert deployed[keys.READ_WRITE_BUCKETS].split(",") == config.storage.read_write
    existing = {bucket["Name"] for bucket in emulator.client("s3").list_buckets()["Buckets"]}
    # Nothing else, but the bucket that carries templates over CloudFormation's inline size limit.
    assert all(name.startswith("batchctl-artifacts-") for name in existing - set(user_buckets))


def test_a_zone_the_region_does_not_have_is_one_clear_line(
    deployed: dict[str, str], emulator: Any, tmp_path: Path
) -> None:
    data = {
        "name": "zones",
        # Plausible offline (a list of at most six zones of the region); the region itself says 1g does not exist.
        "network": {"availability_zones": ["us-east-1a", "us-east-1g"]},
        "compute_environments": [{"name": "cpu-spot"}],
        "queues": [{"name": "cpu", "compute_environments": ["cpu-spot"]}],
    }
    config_file = write_yaml(tmp_path / "batchctl.yaml", data)
    code, _, err = capture_cli(["--local", "-f", str(config_file), "diff"])
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("Error:")] == [
        "Error: network.availability_zones: us-east-1g not available in us-east-1"
    ]
    assert "choose from us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f" in err
    stacks = emulator.client("cloudformation").list_stacks()["StackSummaries"]
    assert all(stack["StackName"] != "batchctl-zones" for stack in stacks)


def test_destroy_leaves_the_user_buckets_and_their_data(
    deployed: dict[str, str], config: ClusterConfig, user_buckets: list[str], emulator: Any
) -> None:
    code, out, err = capture_cli(["--local", "-f", str(EXAMPLE), "-o", "json", "destroy", "--yes", "--delete-data"])
    assert code == 0, err
    result = json.loads(out)
    assert not [item for item in result["deleted"] if item.startswith("bucket ")]
    batch = emulator.client("batch")
    names = [config.resource_name(ce.name) for ce in config.compute_environments]
    assert batch.describe_compute_environments(computeEnvironments=names)["computeEnvironments"] == []
    queues = [config.resource_name(queue.name) for queue in config.queues]
    assert batch.describe_job_queues(jobQueues=queues)["jobQueues"] == []
    s3 = emulator.client("s3")
    for name in user_buckets:
        assert s3.get_object(Bucket=name, Key=MARKER_KEY)["Body"].read() == b"owned by the user"
