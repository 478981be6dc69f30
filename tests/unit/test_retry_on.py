"""Retries by name: retry_on in batchctl.yaml and in job files becomes evaluateOnExit rules (the named reasons RETRY,
everything else EXITs), in the template and in SubmitJob's retryStrategy."""

from __future__ import annotations

import json

import pytest
from tests.helpers import DEMO_CONFIG

from batchctl.config.models import ClusterConfig
from batchctl.errors import BatchctlError
from batchctl.jobs.jobfile import parse_job_file
from batchctl.jobs.requests import plan_submission
from batchctl.jobs.resolve import Resolver
from batchctl.local.retries import exit_action
from batchctl.retry_rules import definition_rules, named_rules

OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"


def test_names_become_rules_and_everything_else_exits() -> None:
    rules = named_rules(["spot-loss", "out-of-memory"])
    assert rules == [
        {"action": "RETRY", "onStatusReason": "Host EC2*"},
        {"action": "RETRY", "onStatusReason": "OutOfMemoryError*"},
        {"action": "EXIT", "onReason": "*"},
    ]
    # The emulator evaluates rules as AWS does: a reclaim and an OOM retry, the job's own exit does not.
    assert exit_action(rules, None, "", "Host EC2 (instance i-0abc) terminated.") == "RETRY"
    assert exit_action(rules, 137, OUT_OF_MEMORY, OUT_OF_MEMORY) == "RETRY"
    assert exit_action(rules, 1, "", "Essential container in task exited") == "EXIT"


def test_the_default_without_names_retries_a_lost_host_only() -> None:
    assert definition_rules(3) == [
        {"action": "RETRY", "onStatusReason": "Host EC2*"},
        {"action": "EXIT", "onReason": "*"},
    ]
    assert definition_rules(1, ["spot-loss"]) == []


def test_config_refuses_retry_on_without_a_second_attempt_and_unknown_names() -> None:
    definition = {"name": "work", "image": "helloworld", "retry_on": ["spot-loss"]}
    with pytest.raises(ValueError, match="needs retries: 2 or more"):
        ClusterConfig.model_validate({**DEMO_CONFIG, "job_definitions": [definition]})
    with pytest.raises(ValueError, match="spot-loss"):
        ClusterConfig.model_validate(
            {**DEMO_CONFIG, "job_definitions": [{**definition, "retries": 2, "retry_on": ["spot"]}]}
        )
    with pytest.raises(ValueError, match="at most 5"):
        named_rules(["spot-loss", "host-error", "out-of-memory", "image-pull"])


def plan(job: dict[str, object], definitions: list[dict[str, object]] | None = None) -> dict[str, object]:
    config = ClusterConfig.model_validate({**DEMO_CONFIG, **({"job_definitions": definitions} if definitions else {})})
    document = {"jobs": [{"name": "a", "queue": "cpu", "definition": "helloworld", **job}]}
    job_file = parse_job_file(json.dumps(document), "jobs.yaml")
    return plan_submission(job_file, Resolver(config, None), "ana", "s1")[0].request


def test_a_job_files_retry_on_sends_its_own_rules() -> None:
    request = plan({"retries": 3, "retry_on": ["out-of-memory"]})
    assert request["retryStrategy"] == {
        "attempts": 3,
        "evaluateOnExit": [
            {"action": "RETRY", "onStatusReason": "OutOfMemoryError*"},
            {"action": "EXIT", "onReason": "*"},
        ],
    }


def test_a_job_keeps_its_definitions_named_rules_when_it_changes_attempts() -> None:
    definitions = [{"name": "helloworld", "image": "helloworld", "retries": 2, "retry_on": ["spot-loss", "host-error"]}]
    request = plan({"retries": 4}, definitions)
    assert request["retryStrategy"]["evaluateOnExit"][1] == {
        "action": "RETRY",
        "onReason": "CannotStartContainerError*",
    }


def test_retry_on_in_a_job_file_needs_a_second_attempt() -> None:
    with pytest.raises(BatchctlError, match='job "a": retry_on: retry_on needs a second attempt'):
        plan({"retry_on": ["spot-loss"]})


def test_the_template_carries_the_named_rules() -> None:
    from tests.unit.infra_fixtures import DEMO, ONE_ZONE, config, template_of

    definitions = [{"name": "work", "image": "helloworld", "retries": 3, "retry_on": ["spot-loss", "out-of-memory"]}]
    template = template_of(config(DEMO, job_definitions=definitions), ONE_ZONE)
    (strategy,) = [
        resource["Properties"]["RetryStrategy"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Batch::JobDefinition"
    ]
    assert strategy == {
        "Attempts": 3,
        "EvaluateOnExit": [
            {"Action": "RETRY", "OnStatusReason": "Host EC2*"},
            {"Action": "RETRY", "OnStatusReason": "OutOfMemoryError*"},
            {"Action": "EXIT", "OnReason": "*"},
        ],
    }
