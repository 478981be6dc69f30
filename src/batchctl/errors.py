"""Typed errors that travel up to the CLI's single error boundary.

Each carries a one-line message (what is wrong, where) and an optional hint (how to fix it).
"""

from __future__ import annotations


class BatchctlError(Exception):
    """A user-facing failure: printed as `Error: <message>` plus a hint, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []


class ConfigError(BatchctlError):
    """The configuration file is missing, unreadable or invalid."""


class AwsError(BatchctlError):
    """An AWS (or emulator) call failed."""


class CredentialsError(AwsError):
    """No usable AWS credentials."""


class NotFoundError(BatchctlError):
    """A named thing (stack, job, queue...) does not exist."""


class DeployError(BatchctlError):
    """A deployment did not complete."""


class EmulatorNotRunningError(BatchctlError):
    """`--local` was asked for but the local emulator is not running."""


class EmulatorStoppedError(EmulatorNotRunningError):
    """The local emulator stopped answering in the middle of a command."""


class EmulatorAnswerError(AwsError):
    """The local emulator answered with something that is no AWS answer (an HTML error page)."""


class InterruptedByUser(BatchctlError):
    """Ctrl-C, with what state the work was left in and how to recover."""

    exit_code = 130
