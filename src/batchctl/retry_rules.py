"""The retry rules of the cluster's job definitions: one contract for the template and for SubmitJob.

Kept free of aws_cdk so the job commands import it cheaply. A SubmitJob ``retryStrategy`` replaces the job
definition's whole retry strategy, ``evaluateOnExit`` included, so a job that only changes the attempt count must
send the definition's rules again:
https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html (retryStrategy)

Retries by name (`retry_on: [spot-loss, out-of-memory]`): each name RETRYs on the reasons AWS gives for that
failure, and everything else EXITs. AWS matches `onStatusReason`/`onReason` patterns of letters, digits, spaces,
'.', ':' and a trailing '*', and takes at most 5 rules per strategy:
https://docs.aws.amazon.com/batch/latest/APIReference/API_EvaluateOnExit.html
https://docs.aws.amazon.com/batch/latest/APIReference/API_RetryStrategy.html
https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

# Spot reclaims and host failures say "Host EC2 (instance ...) terminated": worth another attempt.
# Anything else is the job's own failure, which a retry would only repeat.
RETRY_ON_HOST_FAILURE: dict[str, str] = {"action": "RETRY", "onStatusReason": "Host EC2*"}
EXIT_OTHERWISE: dict[str, str] = {"action": "EXIT", "onReason": "*"}
MAX_RULES = 5  # evaluateOnExit entries AWS accepts in one retry strategy


class RetryReason(StrEnum):
    SPOT_LOSS = "spot-loss"
    HOST_ERROR = "host-error"
    OUT_OF_MEMORY = "out-of-memory"
    IMAGE_PULL = "image-pull"


# The reasons AWS Batch gives for each named failure (batchctl.insight.failures reads the same ones).
NAMED_RULES: dict[RetryReason, list[dict[str, str]]] = {
    RetryReason.SPOT_LOSS: [dict(RETRY_ON_HOST_FAILURE)],
    RetryReason.HOST_ERROR: [
        {"action": "RETRY", "onReason": "CannotStartContainerError*"},
        {"action": "RETRY", "onReason": "DockerTimeoutError*"},
    ],
    RetryReason.OUT_OF_MEMORY: [{"action": "RETRY", "onStatusReason": "OutOfMemoryError*"}],
    RetryReason.IMAGE_PULL: [{"action": "RETRY", "onReason": "CannotPullContainerError*"}],
}


def named_rules(names: Iterable[RetryReason | str]) -> list[dict[str, str]]:
    """The named reasons RETRY, everything else EXITs. Raises ValueError beyond AWS's 5 rules."""
    rules: list[dict[str, str]] = []
    for name in dict.fromkeys(RetryReason(name) for name in names):
        rules.extend(dict(rule) for rule in NAMED_RULES[name])
    rules.append(dict(EXIT_OTHERWISE))
    if len(rules) > MAX_RULES:
        raise ValueError(
            f"these names need {len(rules)} evaluateOnExit rules with the final EXIT; AWS takes at most {MAX_RULES}"
        )
    return rules


def check_retry_on(retry_on: Iterable[RetryReason | str], retries: int | None) -> None:
    """retry_on needs a second attempt, and fits AWS's 5 rules (ValueError with the fix otherwise)."""
    names = list(retry_on)
    if not names:
        return
    if retries is not None and retries <= 1:
        raise ValueError(f"retry_on {', '.join(map(str, names))} needs retries: 2 or more (attempts in all)")
    named_rules(names)


def definition_rules(retries: int, retry_on: Iterable[RetryReason | str] = ()) -> list[dict[str, str]]:
    """The evaluateOnExit rules of a job definition with `retries` attempts in all (none without a retry):
    the named reasons when given, else a retry on a lost host only."""
    if retries <= 1:
        return []
    names = list(retry_on)
    return named_rules(names) if names else [dict(RETRY_ON_HOST_FAILURE), dict(EXIT_OTHERWISE)]


def retry_strategy(attempts: int, rules: list[dict[str, str]]) -> dict[str, Any]:
    """A SubmitJob retryStrategy: the attempt count, with the definition's rules kept."""
    strategy: dict[str, Any] = {"attempts": attempts}
    if rules:
        strategy["evaluateOnExit"] = [dict(rule) for rule in rules]
    return strategy
