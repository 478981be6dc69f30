"""Day-two deploys on the local emulator: config changes between two deploys, updates AWS refuses, interrupted
creations. Each in-place change keeps the compute environment (same ARN); each refusal names the batchctl.yaml key,
exits 1 and changes nothing (same LastUpdatedTime)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import DEMO_CONFIG, capture_cli, write_yaml

pytestmark = pytest.mark.integration

CE = DEMO_CONFIG["compute_environments"][0]
QUEUE = DEMO_CONFIG["queues"][0]


def _cli(config_file: Path, *args: str) -> tuple[int, str, str]:
    return capture_cli(["--local", "-f", str(config_file), *args])


def _write(config_file: Path, name: str, **changes: Any) -> None:
    write_yaml(config_file, {**DEMO_CONFIG, "name": name, **changes})


def _environment(emulator: Any, name: str) -> dict[str, Any]:
    (environment,) = emulator.client("batch").describe_compute_environments(computeEnvironments=[name])[
        "computeEnvironments"
    ]
    return dict(environment)


def _updated(emulator: Any, stack: str) -> Any:
    (found,) = emulator.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return found.get("LastUpdatedTime"), found["StackStatus"]


def _last_updated(emulator: Any, stack: str) -> Any:
    """LastUpdatedTime of a stack that has been updated (AWS reports it only then)."""
    updated, _ = _updated(emulator, stack)
    assert updated is not None
    return updated


@pytest.fixture(scope="module")
def cluster(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    config_file = tmp_path_factory.mktemp("day-two") / "batchctl.yaml"
    _write(config_file, "dtwo")
    code, out, err = _cli(config_file, "-o", "json", "deploy", "--yes")
    assert code == 0, err
    arn = _environment(emulator, "dtwo-cpu-spot")["computeEnvironmentArn"]
    return {"config": config_file, "arn": arn, "outputs": json.loads(out)["outputs"]}


# Each step changes the previous step's config; all apply in place.
IN_PLACE: list[tuple[str, dict[str, Any], Any]] = [
    (
        "instance types",
        {"compute_environments": [{**CE, "instance_types": ["c7i", "m7i"]}]},
        lambda ce: ce["computeResources"]["instanceTypes"] == ["c7i", "m7i"],
    ),
    (
        "max_vcpus",
        {"compute_environments": [{**CE, "instance_types": ["c7i", "m7i"], "max_vcpus": 64}]},
        lambda ce: ce["computeResources"]["maxvCpus"] == 64,
    ),
    (
        "root_volume_gb",
        {"compute_environments": [{**CE, "instance_types": ["c7i", "m7i"], "max_vcpus": 64, "root_volume_gb": 100}]},
        lambda ce: ce["computeResources"]["maxvCpus"] == 64,
    ),
    (
        "tags",
        {
            "compute_environments": [{**CE, "instance_types": ["c7i", "m7i"], "max_vcpus": 64, "root_volume_gb": 100}],
            "tags": {"team": "research"},
        },
        lambda ce: ce["computeResources"]["tags"]["team"] == "research",
    ),
    (
        "SPOT -> EC2",
        {
            "compute_environments": [
                {**CE, "type": "EC2", "instance_types": ["c7i", "m7i"], "max_vcpus": 64, "root_volume_gb": 100}
            ],
            "tags": {"team": "research"},
        },
        lambda ce: ce["computeResources"]["type"] == "EC2",
    ),
    (
        "zones 1 -> 2",
        {
            "network": {"availability_zones": 2},
            "compute_environments": [
                {**CE, "type": "EC2", "instance_types": ["c7i", "m7i"], "max_vcpus": 64, "root_volume_gb": 100}
            ],
            "tags": {"team": "research"},
        },
        lambda ce: len(ce["computeResources"]["subnets"]) == 2,
    ),
]


@pytest.mark.parametrize(("name", "changes", "applied"), IN_PLACE, ids=[step[0] for step in IN_PLACE])
def test_config_change_updates_the_compute_environment_in_place(
    cluster: dict[str, Any], emulator: Any, name: str, changes: dict[str, Any], applied: Any
) -> None:
    _write(cluster["config"], "dtwo", **changes)
    code, _, err = _cli(cluster["config"], "deploy", "--yes")
    assert code == 0, err
    assert "batchctl-dtwo UPDATE_COMPLETE" in err, name
    environment = _environment(emulator, "dtwo-cpu-spot")
    assert environment["computeEnvironmentArn"] == cluster["arn"]  # the same environment, not a replacement
    assert applied(environment), environment
    updated = _last_updated(emulator, "batchctl-dtwo")
    assert cluster.get("updated") is None or updated > cluster["updated"]
    cluster["updated"] = updated
    versions = emulator.client("ec2").describe_launch_template_versions(
        LaunchTemplateName="dtwo-cpu-spot", Versions=["$Latest"]
    )["LaunchTemplateVersions"]
    (device,) = versions[0]["LaunchTemplateData"]["BlockDeviceMappings"]
    assert device["Ebs"]["VolumeSize"] == next(ce for ce in changes["compute_environments"]).get("root_volume_gb", 30)


LAST_STEP = IN_PLACE[-1][1]


def _assert_refused(cluster: dict[str, Any], emulator: Any, changes: dict[str, Any], expected: str) -> None:
    before = (_last_updated(emulator, "batchctl-dtwo"), _updated(emulator, "batchctl-dtwo")[1])
    _write(cluster["config"], "dtwo", **{**LAST_STEP, **changes})
    for command in ("deploy", "diff"):
        code, _, err = _cli(cluster["config"], command, *(["--yes"] if command == "deploy" else []))
        assert code == 1, err
        assert expected in err, err
        assert "which AWS refuses for a named resource" in err
        assert "Traceback" not in err
        assert "computing the change sets" not in err  # refused before any change set
    assert _updated(emulator, "batchctl-dtwo") == before
    _write(cluster["config"], "dtwo", **LAST_STEP)


def test_fair_share_toggled_is_refused_before_any_change(cluster: dict[str, Any], emulator: Any) -> None:
    _assert_refused(
        cluster,
        emulator,
        {"queues": [{**QUEUE, "fair_share": True}]},
        "queues[0].fair_share: false -> true would replace job queue dtwo-cpu",
    )


def test_switching_compute_to_fargate_is_refused(cluster: dict[str, Any], emulator: Any) -> None:
    _assert_refused(
        cluster,
        emulator,
        {
            "compute_environments": [{"name": "cpu-spot", "type": "FARGATE", "max_vcpus": 16}],
            "job_definitions": [{**DEMO_CONFIG["job_definitions"][0], "platform": "FARGATE"}],
        },
        "compute_environments[0].type: EC2 -> FARGATE",
    )


def test_the_emulator_itself_refuses_what_the_preflight_refuses(
    cluster: dict[str, Any], emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the preflight, the change set runs and the emulator fails it as CloudFormation does."""
    from batchctl.cluster.deploy import Deployer

    monkeypatch.setattr(Deployer, "_preflight", lambda self, stack_name, template: None)
    _write(cluster["config"], "dtwo", **{**LAST_STEP, "queues": [{**QUEUE, "fair_share": True}]})
    code, _, err = _cli(cluster["config"], "deploy", "--yes")
    assert code == 1, err
    assert "custom-named resource requires replacing" in err
    assert "UPDATE_ROLLBACK_COMPLETE" in err
    (queue,) = emulator.client("batch").describe_job_queues(jobQueues=["dtwo-cpu"])["jobQueues"]
    assert "schedulingPolicyArn" not in queue
    _write(cluster["config"], "dtwo", **LAST_STEP)


def test_spot_to_on_demand_is_refused_for_a_best_fit_environment(emulator: Any, tmp_path: Path) -> None:
    """BEST_FIT supports no infrastructure update: AWS would have to replace the environment."""
    config_file = tmp_path / "batchctl.yaml"
    best_fit = {**CE, "allocation_strategy": "BEST_FIT"}
    _write(config_file, "dbest", compute_environments=[best_fit])
    code, _, err = _cli(config_file, "deploy", "--yes")
    assert code == 0, err
    # A scaling update is possible with any strategy.
    _write(config_file, "dbest", compute_environments=[{**best_fit, "max_vcpus": 8}])
    code, _, err = _cli(config_file, "deploy", "--yes")
    assert code == 0, err
    before = (_last_updated(emulator, "batchctl-dbest"), "UPDATE_COMPLETE")
    best_fit = {**best_fit, "max_vcpus": 8}
    _write(config_file, "dbest", compute_environments=[{**best_fit, "type": "EC2"}])
    for command in ("deploy", "diff"):
        code, _, err = _cli(config_file, command, *(["--yes"] if command == "deploy" else []))
        assert code == 1, err
        assert "compute_environments[0].type: SPOT -> EC2" in err
        assert "allocation strategy BEST_FIT supports no infrastructure update" in err
    assert _updated(emulator, "batchctl-dbest") == before
    code, _, err = _cli(config_file, "destroy", "--yes", "--delete-data")
    assert code == 0, err


def test_an_interrupted_first_creation_is_recovered_by_the_next_deploy(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchctl.aws.cloudformation import CloudFormation

    config_file = tmp_path / "batchctl.yaml"
    _write(config_file, "dint")
    execute = CloudFormation.execute_change_set
    interrupt_at = {"call": 1}
    calls = {"count": 0}

    def interrupted(self: CloudFormation, change_set_id: str) -> None:
        calls["count"] += 1
        if calls["count"] == interrupt_at["call"]:
            raise KeyboardInterrupt  # Ctrl-C: the change set is created but never executed
        execute(self, change_set_id)

    monkeypatch.setattr(CloudFormation, "execute_change_set", interrupted)
    # Ctrl-C before the data stack's change set runs, then before the compute stack's.
    for stack in ("batchctl-dint-data", "batchctl-dint"):
        calls["count"] = 0
        code, _, err = _cli(config_file, "deploy", "--yes")
        assert code == 130, err
        interrupt_at["call"] = 2
        status_code, _, status = _cli(config_file, "status")
        assert status_code == 0, status
        assert f"⨯ {stack}: REVIEW_IN_PROGRESS" in status
        assert f"✓ {stack}:" not in status
        # diff changes nothing, not even the stack left behind: it says that deploy recreates it.
        code, _, err = _cli(config_file, "diff")
        assert code == 0, err
        assert (
            f"stack {stack} was left in REVIEW_IN_PROGRESS by a failed or interrupted creation: deploy recreates" in err
        )
        assert _updated(emulator, stack)[1] == "REVIEW_IN_PROGRESS"
    monkeypatch.setattr(CloudFormation, "execute_change_set", execute)

    code, out, err = _cli(config_file, "-o", "json", "deploy", "--yes")
    assert code == 0, err
    assert "stack batchctl-dint was left in REVIEW_IN_PROGRESS by a failed or interrupted creation" in err
    assert json.loads(out)["status"] == "CREATE_COMPLETE"
    code, _, status = _cli(config_file, "status")
    assert "✓ batchctl-dint-data: CREATE_COMPLETE" in status and "✓ batchctl-dint: CREATE_COMPLETE" in status
    buckets = {b["Name"] for b in emulator.client("s3").list_buckets()["Buckets"] if b["Name"].startswith("dint-")}
    assert len(buckets) == 3  # no orphan from the interrupted attempts

    code, _, err = _cli(config_file, "destroy", "--yes", "--delete-data")
    assert code == 0, err
    assert not [b for b in emulator.client("s3").list_buckets()["Buckets"] if b["Name"].startswith("dint-")]
