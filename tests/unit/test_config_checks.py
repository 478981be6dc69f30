"""Semantic checks: findings that relate several settings, all reported together."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, run_cli, write_yaml

from batchctl.config import ClusterConfig, Level, check_config


def _findings(**changes: Any) -> list[str]:
    config = ClusterConfig.model_validate({**DEMO_CONFIG, **changes})
    return [finding.line() for finding in check_config(config) if finding.level == Level.ERROR]


def test_demo_config_has_no_errors() -> None:
    assert _findings() == []


def test_starter_files_have_no_errors() -> None:
    from importlib import resources

    import yaml

    for profile in ("demo", "production"):
        text = resources.files("batchctl.data").joinpath(f"starter-{profile}.yaml").read_text()
        config = ClusterConfig.model_validate(yaml.safe_load(text))
        assert [f.line() for f in check_config(config) if f.level == Level.ERROR] == [], profile


def test_max_below_min_vcpus() -> None:
    errors = _findings(compute_environments=[{"name": "cpu-spot", "min_vcpus": 8, "max_vcpus": 4}])
    assert errors == [
        "ERROR: compute_environments[0].max_vcpus: max_vcpus (4) is smaller than min_vcpus (8)"
        " — raise max_vcpus or lower min_vcpus"
    ]


def test_queue_naming_unknown_compute_environment_suggests() -> None:
    errors = _findings(queues=[{"name": "cpu", "compute_environments": ["cpu-spto"]}])
    assert len(errors) == 1
    assert "unknown compute environment 'cpu-spto' (did you mean \"cpu-spot\"?)" in errors[0]


def test_queue_without_compute_environment() -> None:
    errors = _findings(queues=[{"name": "cpu", "compute_environments": []}])
    assert any("queue 'cpu' has no compute environment" in line for line in errors)


def test_job_memory_larger_than_every_explicit_instance_type() -> None:
    errors = _findings(
        compute_environments=[{"name": "cpu-spot", "instance_types": ["m6i.large", "c6i.xlarge"]}],
        job_definitions=[{"name": "big", "image": "big:1", "memory": 16000}],
    )
    assert len(errors) == 1
    assert "job_definitions[0].memory: 16000 MiB is more than any instance type offered" in errors[0]


def test_job_memory_with_families_is_not_judged() -> None:
    assert _findings(job_definitions=[{"name": "big", "image": "big:1", "memory": 200000}]) == []


def test_duplicate_names_and_hyphen_collisions() -> None:
    errors = _findings(
        compute_environments=[{"name": "cpu-spot"}, {"name": "cpu-spot"}, {"name": "cpu-1"}, {"name": "cpu1"}],
    )
    assert any("name 'cpu-spot' is used 2 times" in line for line in errors)
    assert any("differ only by hyphens" in line for line in errors)


def test_egress_none_requires_endpoints() -> None:
    errors = _findings(network={"egress": "none", "endpoints": False})
    assert any("network.egress: egress none without endpoints" in line for line in errors)


def test_gpu_compute_environment_with_cpu_instance_types() -> None:
    errors = _findings(compute_environments=[{"name": "cpu-spot", "gpu": True, "instance_types": ["m6i", "g5"]}])
    assert any("gpu: true but m6i has no GPU" in line for line in errors)


def test_gpu_job_without_gpu_compute() -> None:
    errors = _findings(job_definitions=[{"name": "train", "image": "t:1", "gpus": 1}])
    assert any("no compute environment has gpu: true" in line for line in errors)


def test_fargate_job_with_gpus() -> None:
    errors = _findings(
        compute_environments=[{"name": "cpu-spot"}, {"name": "fg", "type": "FARGATE"}],
        queues=[{"name": "cpu", "compute_environments": ["cpu-spot"]}, {"name": "fg", "compute_environments": ["fg"]}],
        job_definitions=[{"name": "t", "image": "t:1", "gpus": 1, "platform": "FARGATE"}],
    )
    assert any("Fargate jobs cannot use GPUs" in line for line in errors)


def test_queue_mixing_fargate_and_ec2() -> None:
    errors = _findings(
        compute_environments=[{"name": "cpu-spot"}, {"name": "fg", "type": "FARGATE"}],
        queues=[{"name": "cpu", "compute_environments": ["cpu-spot", "fg"]}],
    )
    assert any("mixes Fargate and EC2" in line for line in errors)


def test_zone_list_outside_region() -> None:
    errors = _findings(network={"availability_zones": ["us-east-1a", "eu-west-1b"]})
    assert any("eu-west-1b is not in region us-east-1" in line for line in errors)


def test_existing_buckets_need_a_read_write_bucket() -> None:
    errors = _findings(storage={"create_buckets": False, "read_only": ["ref-data"]})
    assert any("job outputs have nowhere to go" in line for line in errors)


@pytest.mark.parametrize("strategy", ["SPOT_CAPACITY_OPTIMIZED", "SPOT_PRICE_CAPACITY_OPTIMIZED"])
def test_spot_strategy_on_on_demand(strategy: str) -> None:
    errors = _findings(compute_environments=[{"name": "cpu-spot", "type": "EC2", "allocation_strategy": strategy}])
    assert any("applies to SPOT compute environments only" in line for line in errors)


def test_vpc_cidr_too_small_says_the_smallest_that_fits() -> None:
    errors = _findings(network={"availability_zones": 4, "vpc_cidr": "10.0.0.0/24"})
    assert errors == [
        "ERROR: network.vpc_cidr: 10.0.0.0/24 is too small for 4 zones (a public and a private subnet each)"
        " — use a /22 or larger"
    ]
    assert _findings(network={"availability_zones": 4, "vpc_cidr": "10.0.0.0/22"}) == []


# Each bad combination, through the command line: exit 1, one line naming the problem, nothing synthesized.
FARGATE_ONLY = {
    "compute_environments": [{"name": "serverless", "type": "FARGATE"}],
    "queues": [{"name": "cpu", "compute_environments": ["serverless"]}],
}
BAD_COMBINATIONS: dict[str, tuple[dict[str, Any], str]] = {
    "egress none without endpoints": (
        {"network": {"egress": "none", "endpoints": False}},
        "ERROR   network.egress: egress none without endpoints: instances could not pull images, join ECS or "
        "write logs",
    ),
    "GPU compute environment with non-GPU instance types": (
        {"compute_environments": [{"name": "cpu-spot", "gpu": True, "instance_types": ["g5", "m6i", "c6i"]}]},
        "ERROR   compute_environments[0].instance_types: gpu: true but m6i, c6i have no GPU",
    ),
    "more zones listed than any region has": (
        {"network": {"availability_zones": [f"us-east-1{letter}" for letter in "abcdefg"]}},
        "ERROR   network.availability_zones: lists 7 zones; no AWS region has more than 6",
    ),
    "VPC CIDR too small for its zones": (
        {"network": {"availability_zones": 5, "vpc_cidr": "10.0.0.0/24"}},
        "ERROR   network.vpc_cidr: 10.0.0.0/24 is too small for 5 zones (a public and a private subnet each)",
    ),
    "queue with no compute environment": (
        {"queues": [{"name": "cpu", "compute_environments": []}]},
        "ERROR   queues[0].compute_environments: queue 'cpu' has no compute environment",
    ),
    "Fargate compute environment with GPU jobs": (
        {**FARGATE_ONLY, "job_definitions": [{"name": "t", "image": "t:1", "gpus": 1, "platform": "FARGATE"}]},
        "ERROR   job_definitions[0].gpus: Fargate jobs cannot use GPUs",
    ),
    "Fargate compute environment asking for GPUs": (
        {"compute_environments": [{"name": "cpu-spot", "type": "FARGATE", "gpu": True}], "job_definitions": []},
        "ERROR   compute_environments[0].gpu: Fargate compute environments have no GPUs",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_COMBINATIONS))
def test_bad_combination_is_one_clear_line(case: str, tmp_path: Path, capsys: Any) -> None:
    changes, expected = BAD_COMBINATIONS[case]
    config = write_yaml(tmp_path / "batchctl.yaml", {**DEMO_CONFIG, **changes})
    code, _, err = run_cli(["-f", str(config), "validate"], capsys)
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("ERROR")] == [expected]
    assert f"Error: {config}: 1 problem(s) found" in err
    assert "skipped until the configuration errors are fixed" in err


@pytest.mark.parametrize(
    ("bucket", "problem"),
    [
        ("My_Bucket", "must be 3-63 characters of lower-case letters, digits, dots and hyphens"),
        ("data..set", "must not have two adjacent periods"),
        ("10.0.0.1", "must not look like an IP address"),
        ("results-s3alias", "uses a prefix or suffix that S3 reserves"),
    ],
)
def test_invalid_bucket_name_is_one_clear_line(bucket: str, problem: str, tmp_path: Path, capsys: Any) -> None:
    storage = {"create_buckets": False, "read_write": [bucket]}
    config = write_yaml(tmp_path / "batchctl.yaml", {**DEMO_CONFIG, "storage": storage})
    code, _, err = run_cli(["-f", str(config), "validate"], capsys)
    assert code == 1
    (line,) = [line for line in err.splitlines() if line.startswith("Error:")]
    assert re.fullmatch(rf"Error: {re.escape(str(config))}:\d+: storage\.read_write: bucket '[^']+': .*", line)
    assert f"bucket {bucket!r}: {problem}" in line


def test_image_outside_ecr_is_an_error_without_egress() -> None:
    network = {"egress": "none", "endpoints": True}
    public = {**DEMO_CONFIG["job_definitions"][0], "image": "public.ecr.aws/docker/library/python:3.12"}
    errors = _findings(network=network, job_definitions=[public])
    assert any(
        line.startswith("ERROR: job_definitions[0].image: public.ecr.aws/docker/library/python:3.12 is not in ECR")
        for line in errors
    ), errors
    ecr = {**public, "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/tools:1"}
    assert not [line for line in _findings(network=network, job_definitions=[ecr]) if "image" in line]
    # The cluster's own repository, and any image with a way out to the internet, are fine.
    assert not [line for line in _findings(network=network) if "image" in line]
    assert not [line for line in _findings(job_definitions=[public]) if "image" in line]


def test_best_fit_warns_that_later_changes_need_a_new_environment() -> None:
    config = ClusterConfig.model_validate(
        {
            **DEMO_CONFIG,
            "compute_environments": [{**DEMO_CONFIG["compute_environments"][0], "allocation_strategy": "BEST_FIT"}],
        }
    )
    (warning,) = [finding for finding in check_config(config) if finding.level == Level.WARNING]
    assert warning.path == "compute_environments[0].allocation_strategy"
    assert "BEST_FIT supports no in-place update" in warning.message
