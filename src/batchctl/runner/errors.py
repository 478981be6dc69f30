"""Runner-side failures and the exit codes that tell them apart from the command's own exit codes."""

from __future__ import annotations

# Conventions shared with `docker run` and POSIX shells, so a job's exit code says who failed:
EXIT_USAGE = 2  # the job is set up wrongly (missing variable, bad index map, no command): retrying cannot help
EXIT_RUNNER_FAILURE = 125  # the runner failed around the command (S3 staging or upload)
EXIT_NOT_EXECUTABLE = 126  # the command exists but cannot be executed
EXIT_NOT_FOUND = 127  # the command does not exist
SIGNAL_EXIT_BASE = 128  # a command killed by signal N exits with 128 + N


class RunnerError(Exception):
    """A failure of the runner itself rather than of the job's command."""

    def __init__(self, message: str, exit_code: int = EXIT_RUNNER_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(RunnerError):
    """The job's configuration is wrong (arguments, environment): fails before anything runs."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)
