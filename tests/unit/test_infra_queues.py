"""Job queues: order of compute environments, fair share, runnable timeouts."""

from __future__ import annotations

from typing import Any

from tests.unit.infra_fixtures import (
    DEMO,
    ONE_ZONE,
    config,
    logical_id,
    ref,
    resources,
    template_of,
)


def _queue(template: dict[str, Any], construct: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id(template, f"Queues{construct}")]["Properties"]
    return properties


def test_demo_queue() -> None:
    template = template_of(config(DEMO), ONE_ZONE)
    assert _queue(template, "Cpu") == {
        "JobQueueName": "demo-cpu",
        "Priority": 1,
        "State": "ENABLED",
        "ComputeEnvironmentOrder": [{"Order": 1, "ComputeEnvironment": ref(logical_id(template, "ComputeCpuSpot"))}],
    }
    assert resources(template, "AWS::Batch::SchedulingPolicy") == {}


def test_queue_tries_environments_in_configured_order(production: dict[str, Any]) -> None:
    assert _queue(production, "Fargate")["ComputeEnvironmentOrder"] == [
        {"Order": 1, "ComputeEnvironment": ref(logical_id(production, "ComputeServerlessSpot"))},
        {"Order": 2, "ComputeEnvironment": ref(logical_id(production, "ComputeServerless"))},
    ]


def test_fair_share_queue_has_its_scheduling_policy(production: dict[str, Any]) -> None:
    (policy_id, policy) = next(iter(resources(production, "AWS::Batch::SchedulingPolicy").items()))
    assert len(resources(production, "AWS::Batch::SchedulingPolicy")) == 1
    assert policy["Properties"]["Name"] == "prod-cpu"
    assert policy["Properties"]["FairsharePolicy"] == {"ShareDecaySeconds": 3600, "ComputeReservation": 0}
    cpu = _queue(production, "Cpu")
    assert cpu["SchedulingPolicyArn"] == ref(policy_id)
    assert cpu["Priority"] == 10
    assert "SchedulingPolicyArn" not in _queue(production, "Gpu")


def test_runnable_timeout_cancels_blocked_jobs(production: dict[str, Any]) -> None:
    assert _queue(production, "Cpu")["JobStateTimeLimitActions"] == [
        {"Action": "CANCEL", "State": "RUNNABLE", "MaxTimeSeconds": 3600, "Reason": reason}
        for reason in (
            "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
            "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
        )
    ]
    assert "JobStateTimeLimitActions" not in _queue(production, "Gpu")
