"""Ctrl-C during a deploy: say what state the stack was left in and which command recovers it (exit 130).

CloudFormation carries on with an executed change set whether or not batchctl is watching:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-execute.html
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from batchctl.cli.context import AppContext
from batchctl.errors import InterruptedByUser


def explain_deploy_interruption(command: Callable[..., None]) -> Callable[..., None]:
    """Wrap a command whose first argument is the AppContext."""

    @functools.wraps(command)
    def wrapper(app: AppContext, *args: Any, **kwargs: Any) -> None:
        try:
            command(app, *args, **kwargs)
        except KeyboardInterrupt:
            raise deploy_interrupted(app, stack_status(app)) from None

    return wrapper


def stack_status(app: AppContext) -> str | None:
    """The cluster stack's status now, or None (no stack, no answer, or a second Ctrl-C)."""
    try:
        return app.api().stack_state()
    except (Exception, KeyboardInterrupt):
        return None


def deploy_interrupted(app: AppContext, state: str | None) -> InterruptedByUser:
    name = app.api().stack_name
    batchctl = app.command()
    if state is None or state == "REVIEW_IN_PROGRESS":
        return InterruptedByUser(
            f"deploy interrupted: stack {name} was not created",
            hint=f"nothing was deployed; run `{batchctl} deploy` again",
        )
    if state.endswith("_IN_PROGRESS"):
        return InterruptedByUser(
            f"deploy interrupted: stack {name} is {state}; CloudFormation goes on without batchctl",
            hint=f"follow it with `{batchctl} status`; once it has finished, run `{batchctl} deploy` again "
            f"(to stop an update: aws cloudformation cancel-update-stack --stack-name {name})",
        )
    return InterruptedByUser(
        f"deploy interrupted: stack {name} is {state}; batchctl executed no change set",
        hint=f"run `{batchctl} deploy` again (a change set left unexecuted is replaced)",
    )
