"""A cluster's resources made directly with boto3 on an emulator, and the stack outputs that name them.

For tests and benchmarks of the job API path: it skips CDK and CloudFormation deployment, so a cluster is there in
well under a second. ``bare_cluster(endpoint, directory)`` returns the path of the batchctl.yaml to load.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import yaml

REGION = "us-east-1"
CLUSTER = "demo"


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )


# The job definition's container unless a caller gives its own.
TRUE_CONTAINER: dict[str, Any] = {
    "image": "debian:bookworm-slim",
    "command": ["true"],
    "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}],
}


def cluster_resources(
    endpoint: str, queues: Sequence[str] = ("cpu",), container: dict[str, Any] | None = None
) -> dict[str, str]:
    """The resources of cluster `demo` (a compute environment, the queues, buckets, a log group, the helloworld job
    definition with `container`) and a stack `batchctl-demo` whose outputs name them; those outputs."""
    iam, batch, s3, logs = (client(endpoint, name) for name in ("iam", "batch", "s3", "logs"))
    role = iam.create_role(RoleName=f"{CLUSTER}-batch-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    environment = batch.create_compute_environment(
        computeEnvironmentName=f"{CLUSTER}-cpu-spot", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    values = {"ClusterName": CLUSTER, "RepositoryUri": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{CLUSTER}"}
    for short in queues:
        values[f"Queue{short.title()}"] = batch.create_job_queue(
            jobQueueName=f"{CLUSTER}-{short}",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
        )["jobQueueArn"]
    for role_name in ("inputs", "workspace", "outputs"):
        values[f"Bucket{role_name.title()}"] = f"{CLUSTER}-{role_name}"
        s3.create_bucket(Bucket=f"{CLUSTER}-{role_name}")
    values["LogGroupHelloworld"] = f"/{CLUSTER}/job/helloworld"
    logs.create_log_group(logGroupName=values["LogGroupHelloworld"])
    values["JobDefinitionHelloworld"] = batch.register_job_definition(
        jobDefinitionName=f"{CLUSTER}-helloworld", type="container", containerProperties=container or TRUE_CONTAINER
    )["jobDefinitionArn"]
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"{CLUSTER}-marker"}}},
        "Outputs": {key: {"Value": value} for key, value in values.items()},
    }
    client(endpoint, "cloudformation").create_stack(StackName=f"batchctl-{CLUSTER}", TemplateBody=json.dumps(template))
    return values


def bare_cluster(endpoint: str, directory: Path, queues: Sequence[str] = ("cpu",)) -> Path:
    cluster_resources(endpoint, queues)
    config = {
        "name": CLUSTER,
        "region": REGION,
        "compute_environments": [{"name": "cpu-spot", "type": "SPOT", "max_vcpus": 16}],
        "queues": [{"name": short, "compute_environments": ["cpu-spot"]} for short in queues],
        "job_definitions": [{"name": "helloworld", "image": "helloworld", "command": ["true"], "memory": 512}],
    }
    path = directory / "batchctl.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def jobs_named(endpoint: str, queue_arn: str, pattern: str) -> list[dict[str, Any]]:
    """Every job of the queue whose name matches ``pattern`` (ListJobs JOB_NAME filter, all pages, all statuses)."""
    paginator = client(endpoint, "batch").get_paginator("list_jobs")
    pages = paginator.paginate(jobQueue=queue_arn, filters=[{"name": "JOB_NAME", "values": [pattern]}])
    return [summary for page in pages for summary in page["jobSummaryList"]]
