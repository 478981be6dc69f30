"""The retry rules of the cluster's job definitions: one contract for the template and for SubmitJob.

Kept free of aws_cdk so the job commands import it cheaply. A SubmitJob ``retryStrategy`` replaces the job
definition's whole retry strategy, ``evaluateOnExit`` included, so a job that only changes the attempt count must
send the definition's rules again:
https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html (retryStrategy)
"""

from __future__ import annotations

from typing import Any

# Spot reclaims and host failures say "Host EC2 (instance ...) terminated": worth another attempt.
# Anything else is the job's own failure, which a retry would only repeat.
RETRY_ON_HOST_FAILURE: dict[str, str] = {"action": "RETRY", "onStatusReason": "Host EC2*"}
EXIT_OTHERWISE: dict[str, str] = {"action": "EXIT", "onReason": "*"}


def definition_rules(retries: int) -> list[dict[str, str]]:
    """The evaluateOnExit rules of a job definition with `retries` attempts in all (none without a retry)."""
    return [dict(RETRY_ON_HOST_FAILURE), dict(EXIT_OTHERWISE)] if retries > 1 else []


def retry_strategy(attempts: int, rules: list[dict[str, str]]) -> dict[str, Any]:
    """A SubmitJob retryStrategy: the attempt count, with the definition's rules kept."""
    strategy: dict[str, Any] = {"attempts": attempts}
    if rules:
        strategy["evaluateOnExit"] = [dict(rule) for rule in rules]
    return strategy
