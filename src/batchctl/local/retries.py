"""Retry decisions as AWS Batch makes them: ``retryStrategy.attempts`` and ``evaluateOnExit``.
(https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html)

- The strategy given to SubmitJob replaces the job definition's; without either a job has one attempt.
- ``evaluateOnExit`` rules are tried in order; the first whose conditions all match decides (``RETRY`` or ``EXIT``,
  in any case). When no rule matches the job is retried. A rule's ``onExitCode``, ``onReason`` and ``onStatusReason``
  are patterns that match exactly, or by prefix when they end with ``*``; an absent value reads as empty text.
- A job that was cancelled or terminated is never retried, nor one whose attempt timed out; neither is a job that
  never ran (a failed dependency).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from batchctl.local import behaviours
from batchctl.local.job_state import state_of

RETRY = "RETRY"
EXIT = "EXIT"


def retry_strategy(job: Any) -> Mapping[str, Any]:
    return state_of(job).retry_strategy or job.job_definition.retry_strategy or {}


def max_attempts(job: Any) -> int:
    if not behaviours.SWITCHES.on(behaviours.RETRIES):
        return 1
    return max(1, int(retry_strategy(job).get("attempts") or 1))


def pattern_matches(pattern: str | None, value: str) -> bool:
    """AWS's patterns: exact text, or a prefix when the pattern ends with ``*``. No pattern matches anything."""
    if pattern is None:
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def exit_action(rules: Iterable[Mapping[str, Any]], exit_code: int | None, reason: str, status_reason: str) -> str:
    """The action of the first rule that matches, or RETRY when none does."""
    code = "" if exit_code is None else str(exit_code)
    for rule in rules:
        if (
            pattern_matches(rule.get("onExitCode"), code)
            and pattern_matches(rule.get("onReason"), reason)
            and pattern_matches(rule.get("onStatusReason"), status_reason)
        ):
            return str(rule.get("action", RETRY)).upper()
    return RETRY


def should_retry(job: Any, exit_code: int | None, status_reason: str) -> bool:
    """Whether the attempt that just failed gets another one."""
    state = state_of(job)
    if state.stop_reason and not state.stop_retryable:
        return False
    if state.attempt_number >= max_attempts(job):
        return False
    rules = retry_strategy(job).get("evaluateOnExit") or []
    return exit_action(rules, exit_code, state.container_reason or "", status_reason) == RETRY
