"""Configurations and cached syntheses shared by the infra unit tests.

Synthesis takes seconds, so every (configuration, zones) pair is synthesized once per test session.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

from batchctl.config.models import ClusterConfig
from batchctl.infra.synth import synthesize, synthesize_data

# aws_cdk is imported inside functions only: importing batchctl.infra first quiets jsii's banners.

REGION = "us-east-1"
ONE_ZONE = ["us-east-1a"]
THREE_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]

DEMO: dict[str, Any] = {
    "name": "demo",
    "network": {"availability_zones": 1, "egress": "nat-instance"},
    "compute_environments": [{"name": "cpu-spot", "type": "SPOT"}],
    "queues": [{"name": "cpu", "compute_environments": ["cpu-spot"]}],
    "job_definitions": [
        {
            "name": "helloworld",
            "image": "helloworld",
            "command": ["python3", "/app/hello.py"],
            "vcpus": 1,
            "memory": 512,
        }
    ],
}

# Everything phase 2 offers at once: three zones, endpoints only, existing buckets, GPU, on-demand,
# Fargate, fair share, runnable timeouts, retries on host failure.
PRODUCTION: dict[str, Any] = {
    "name": "prod",
    "network": {"availability_zones": 3, "vpc_cidr": "10.20.0.0/16", "egress": "none", "endpoints": True},
    "storage": {
        "create_buckets": False,
        "read_only": ["reference-data"],
        "read_write": ["batch-results", "batch-scratch"],
        "outputs_bucket": "batch-scratch",
    },
    "compute_environments": [
        {"name": "cpu-spot", "type": "SPOT", "max_vcpus": 256, "root_volume_gb": 100},
        {"name": "cpu-ondemand", "type": "EC2", "instance_types": ["m6i.large"], "max_vcpus": 64},
        {"name": "gpu-spot", "type": "SPOT", "gpu": True, "instance_types": ["g5", "g4dn"], "max_vcpus": 64},
        {"name": "serverless", "type": "FARGATE", "max_vcpus": 32},
        {"name": "serverless-spot", "type": "FARGATE_SPOT", "max_vcpus": 32},
    ],
    "queues": [
        {
            "name": "cpu",
            "priority": 10,
            "compute_environments": ["cpu-spot", "cpu-ondemand"],
            "fair_share": True,
            "runnable_timeout_minutes": 60,
        },
        {"name": "gpu", "compute_environments": ["gpu-spot"]},
        {"name": "fargate", "compute_environments": ["serverless-spot", "serverless"]},
    ],
    "job_definitions": [
        {"name": "helloworld", "image": "helloworld", "command": ["python3", "/app/hello.py"], "memory": 1024},
        {
            "name": "train-gpu",
            "image": "public.ecr.aws/docker/library/python:3.12",
            "vcpus": 4,
            "memory": 15000,
            "gpus": 1,
            "retries": 3,
            "timeout": 3600,
            "environment": {"EPOCHS": "10", "BATCHCTL_CLUSTER": "overridden"},
        },
        {"name": "light", "image": "light", "vcpus": 0.25, "memory": 512, "platform": "FARGATE"},
    ],
    "tags": {"team": "research", "cost-center": "batch"},
}


def config(base: dict[str, Any], **sections: Any) -> ClusterConfig:
    """`base` with whole top-level sections replaced, e.g. config(DEMO, network={...})."""
    data = copy.deepcopy(base)
    data.update(sections)
    return ClusterConfig.model_validate(data)


@functools.cache
def _synthesized(config_json: str, zones: tuple[str, ...]) -> str:
    return json.dumps(synthesize(ClusterConfig.model_validate_json(config_json), list(zones)))


def template_of(cluster: ClusterConfig, zones: list[str]) -> dict[str, Any]:
    """The whole stack's template, synthesized through the public `synthesize` (a fresh copy each call)."""
    result: dict[str, Any] = json.loads(_synthesized(cluster.model_dump_json(), tuple(zones)))
    return result


@functools.cache
def _synthesized_data(config_json: str) -> str:
    return json.dumps(synthesize_data(ClusterConfig.model_validate_json(config_json)))


def data_template_of(cluster: ClusterConfig) -> dict[str, Any]:
    """The data stack's template (buckets and repository), a fresh copy each call."""
    result: dict[str, Any] = json.loads(_synthesized_data(cluster.model_dump_json()))
    return result


def construct_template(build: Callable[[Any], object]) -> dict[str, Any]:
    """The template of a bare stack holding what `build(stack)` adds: one unit tested on its own."""
    from aws_cdk import App, Environment, Stack
    from aws_cdk.assertions import Template

    stack = Stack(App(builtin_cloud_formation_validation=False), "Test", env=Environment(region=REGION))
    build(stack)
    result: dict[str, Any] = Template.from_stack(stack).to_json()
    return result


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def walk(value: Any) -> Iterator[Any]:
    """Every nested value of a template fragment (dicts, lists and scalars)."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def logical_id(template: dict[str, Any], prefix: str) -> str:
    """The one logical ID made from a construct path (`NetworkPrivateSubnet1Subnet` + hash)."""
    found = [
        logical for logical in template["Resources"] if logical.startswith(prefix) and _is_hash(logical[len(prefix) :])
    ]
    assert len(found) == 1, f"expected one resource {prefix}<hash>, found {found}"
    return found[0]


def _is_hash(suffix: str) -> bool:
    return len(suffix) >= 8 and all(char in "0123456789ABCDEFabcdef" for char in suffix)
