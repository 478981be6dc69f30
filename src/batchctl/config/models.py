"""The `batchctl.yaml` schema: pydantic v2 models, strict (unknown keys are errors).

Only shape and per-field rules live here; rules that relate several fields are in
`checks.py` so that every finding is reported together instead of at the first error.
"""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import IPv4Network
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from batchctl import outputs
from batchctl.config.names import CLUSTER_NAME_PATTERN, SHORT_NAME_PATTERN, ClusterNames
from batchctl.config.regions import DEFAULT_REGION, region_problem
from batchctl.retry_rules import RetryReason, check_retry_on
from batchctl.runner import contract

# S3 bucket naming rules (general purpose buckets).
BUCKET_NAME_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"

ECR_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"
# AWS Batch types vCPU counts, memory, GPUs and timeouts as Integer (32-bit): a larger value is refused by
# CloudFormation or the API at deploy time, so it is refused here at its line instead.
# https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html
MAX_AWS_INTEGER = 2**31 - 1

ShortName = Annotated[str, Field(pattern=SHORT_NAME_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Egress(StrEnum):
    NAT_INSTANCE = "nat-instance"
    NAT_GATEWAY = "nat-gateway"
    NONE = "none"


class NatGatewayLayout(StrEnum):
    PER_ZONE = "per-zone"
    SINGLE = "single"


class ComputeType(StrEnum):
    SPOT = "SPOT"
    EC2 = "EC2"
    FARGATE = "FARGATE"
    FARGATE_SPOT = "FARGATE_SPOT"


class AllocationStrategy(StrEnum):
    BEST_FIT = "BEST_FIT"
    BEST_FIT_PROGRESSIVE = "BEST_FIT_PROGRESSIVE"
    SPOT_CAPACITY_OPTIMIZED = "SPOT_CAPACITY_OPTIMIZED"
    SPOT_PRICE_CAPACITY_OPTIMIZED = "SPOT_PRICE_CAPACITY_OPTIMIZED"


class Network(Strict):
    availability_zones: int | list[str] = Field(
        default=1,
        description="How many zones to use (a count, capped to the region's), or an explicit list of zone names.",
    )
    vpc_cidr: str = Field(default="10.0.0.0/16", description="The VPC's IPv4 CIDR block (/16 to /24).")
    egress: Egress = Field(
        default=Egress.NAT_INSTANCE,
        description="How private subnets reach the internet: nat-instance, nat-gateway or none (endpoints only).",
    )
    nat_gateways: NatGatewayLayout = Field(
        default=NatGatewayLayout.PER_ZONE,
        description="With egress nat-gateway: one gateway per zone, or a single shared one.",
    )
    nat_instance_type: str = Field(default="t3.nano", description="Instance type of the NAT instances.")
    endpoints: bool = Field(
        default=False,
        description="Create VPC endpoints for S3, ECR, ECS, CloudWatch Logs and SSM in the private subnets.",
    )

    @field_validator("availability_zones")
    @classmethod
    def _zones(cls, value: int | list[str]) -> int | list[str]:
        if isinstance(value, int):
            if not 1 <= value <= 6:
                raise ValueError("must be a zone count from 1 to 6, or a list of zone names")
        else:
            if not value:
                raise ValueError("must list at least one zone")
            if len(set(value)) != len(value):
                raise ValueError("lists a zone twice")
            for zone in value:
                if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", zone):
                    raise ValueError(f"{zone!r} is not a zone name such as 'us-east-1a'")
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IPv4 network CIDR such as 10.0.0.0/16 ({exc})") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"{value!r}: a VPC CIDR must be from /16 to /24 (AWS limits)")
        return value


class Storage(Strict):
    create_buckets: bool = Field(
        default=True, description="Create the inputs, workspace and outputs buckets of the cluster."
    )
    read_only: list[str] = Field(default_factory=list, description="Existing buckets jobs may read.")
    read_write: list[str] = Field(default_factory=list, description="Existing buckets jobs may read and write.")
    outputs_bucket: str | None = Field(
        default=None,
        description="With existing buckets: the read_write bucket where job outputs go (default: the first).",
    )

    @field_validator("read_only", "read_write")
    @classmethod
    def _bucket_names(cls, value: list[str]) -> list[str]:
        for name in value:
            problem = bucket_name_problem(name)
            if problem:
                raise ValueError(f"bucket {name!r}: {problem}")
        return value


def bucket_name_problem(name: str) -> str | None:
    """Why `name` breaks S3's bucket naming rules, or None."""
    if not re.fullmatch(BUCKET_NAME_PATTERN, name):
        return (
            "must be 3-63 characters of lower-case letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "must not have two adjacent periods or a period next to a hyphen"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "must not look like an IP address"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(("-s3alias", "--ol-s3", "--x-s3")):
        return "uses a prefix or suffix that S3 reserves"
    return None


class ComputeEnvironment(Strict):
    name: ShortName
    type: ComputeType = ComputeType.SPOT
    instance_types: list[str] = Field(
        default_factory=lambda: ["m6i", "c6i", "r6i"],
        description="Instance types or families (EC2 and SPOT only).",
    )
    min_vcpus: int = Field(default=0, ge=0, le=MAX_AWS_INTEGER)
    max_vcpus: int = Field(default=16, ge=1, le=MAX_AWS_INTEGER)
    desired_vcpus: int | None = Field(default=None, ge=0, le=MAX_AWS_INTEGER)
    bid_percentage: int = Field(default=100, ge=1, le=100, description="SPOT only: maximum % of on-demand price.")
    allocation_strategy: AllocationStrategy | None = Field(
        default=None,
        description="Default SPOT_PRICE_CAPACITY_OPTIMIZED for SPOT, BEST_FIT_PROGRESSIVE for EC2.",
    )
    gpu: bool = Field(default=False, description="Use the ECS GPU AMI (needs GPU instance types).")
    root_volume_gb: int = Field(default=30, ge=30, le=16384, description="Root EBS volume size of instances.")

    @property
    def is_fargate(self) -> bool:
        return self.type in (ComputeType.FARGATE, ComputeType.FARGATE_SPOT)

    @property
    def effective_allocation_strategy(self) -> str | None:
        if self.is_fargate:
            return None
        if self.allocation_strategy:
            return str(self.allocation_strategy)
        return "SPOT_PRICE_CAPACITY_OPTIMIZED" if self.type == ComputeType.SPOT else "BEST_FIT_PROGRESSIVE"


class Queue(Strict):
    name: ShortName
    priority: int = Field(default=1, ge=0, le=1000)
    compute_environments: list[str] = Field(
        default_factory=list, description="Compute environment names, in the order the scheduler tries them."
    )
    fair_share: bool = Field(default=False, description="Attach a fair-share scheduling policy.")
    runnable_timeout_minutes: int | None = Field(
        default=None,
        ge=10,
        le=1440,  # AWS caps a job state time limit action at 86400 seconds
        description="Cancel jobs stuck RUNNABLE (blocked by capacity or misconfiguration) after this many minutes.",
    )


class JobDefinition(Strict):
    name: ShortName
    image: str = Field(
        description="A tag of the cluster's ECR repository (e.g. helloworld), or a full image reference "
        "(anything with ':' or '/', e.g. public.ecr.aws/docker/library/python:3.12)."
    )
    command: list[str] = Field(default_factory=list)
    vcpus: float = Field(default=1, gt=0, le=MAX_AWS_INTEGER, allow_inf_nan=False)
    memory: int = Field(default=2048, ge=128, le=MAX_AWS_INTEGER, description="MiB.")
    gpus: int = Field(default=0, ge=0, le=MAX_AWS_INTEGER)
    environment: dict[str, str] = Field(default_factory=dict)
    retries: int = Field(default=1, ge=1, le=10, description="Attempts in all (1 = no retry).")
    retry_on: list[RetryReason] = Field(
        default_factory=list,
        description="Failures worth another attempt (spot-loss, host-error, out-of-memory, image-pull); every "
        "other failure ends the job. Default with retries > 1: spot-loss only.",
    )
    timeout: int | None = Field(default=None, ge=60, le=MAX_AWS_INTEGER, description="Attempt timeout in seconds.")
    platform: Literal["EC2", "FARGATE"] = "EC2"

    @model_validator(mode="after")
    def _retry_on(self) -> JobDefinition:
        check_retry_on(self.retry_on, self.retries)
        return self

    @field_validator("environment")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise ValueError(f"{key!r} is not a valid environment variable name")
            if key.startswith(contract.AWS_RESERVED_PREFIX):
                reserved = contract.AWS_RESERVED_PREFIX
                raise ValueError(f"{key!r}: names starting with {reserved} are reserved by AWS Batch")
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value or any(char.isspace() for char in value):
            raise ValueError("must be an ECR tag such as 'helloworld' or a full image reference")
        if "/" not in value and ":" not in value and not re.fullmatch(ECR_TAG_PATTERN, value):
            raise ValueError(f"{value!r} is not a valid image tag (letters, digits, '.', '_', '-'; at most 128)")
        return value

    @property
    def is_repository_tag(self) -> bool:
        """True when `image` is a tag of the cluster's own ECR repository (no registry, no ':')."""
        return "/" not in self.image and ":" not in self.image


class ClusterConfig(Strict):
    name: str = Field(
        pattern=CLUSTER_NAME_PATTERN,
        description="Cluster name: 2-24 lower-case letters, digits and hyphens, starting with a letter. "
        "It prefixes every resource.",
    )
    region: str = Field(default=DEFAULT_REGION, description="AWS region, e.g. us-east-1.")
    network: Network = Field(default_factory=Network)
    storage: Storage = Field(default_factory=Storage)
    compute_environments: list[ComputeEnvironment] = Field(min_length=1)
    queues: list[Queue] = Field(min_length=1)
    job_definitions: list[JobDefinition] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict, description="Tags applied to every resource.")

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        problem = region_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def compute_environment(self, name: str) -> ComputeEnvironment | None:
        return next((ce for ce in self.compute_environments if ce.name == name), None)

    def resource_name(self, short: str) -> str:
        """The AWS name of a cluster-owned resource (queue, compute environment, job definition)."""
        return outputs.resource_name(self.name, short)

    @property
    def names(self) -> ClusterNames:
        """What read-only commands need (see config.names)."""
        return ClusterNames(
            self.name, self.region, tuple(q.name for q in self.queues), tuple(jd.name for jd in self.job_definitions)
        )

    def log_group_name(self, job_definition: str) -> str:
        return f"/{self.name}/job/{job_definition}"
