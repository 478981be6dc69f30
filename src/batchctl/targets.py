"""Where AWS calls go, decided once for the CLI and the Python API alike.

Precedence (first that applies):
  1. an explicit endpoint URL (the API's `endpoint_url=`): that endpoint, as an emulator;
  2. `--local` / `local=True`, or BATCHCTL_LOCAL=1 when neither is given: the running local emulator;
  3. AWS_ENDPOINT_URL on this machine (127.0.0.1, localhost, ::1): that endpoint, as an emulator;
  4. AWS: `--profile` (else AWS_PROFILE, read by boto3) and `--region` (else the configuration's region). An
     AWS_ENDPOINT_URL elsewhere (a proxy, a VPC endpoint) is left to boto3, which honours it with the profile's
     credentials: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html

Standard library only: the CLI imports this before it knows whether any AWS call will be made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from batchctl.errors import ConfigError, EmulatorNotRunningError

LOCAL_ENV = "BATCHCTL_LOCAL"
ENDPOINT_ENV = "AWS_ENDPOINT_URL"
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Target:
    """An AWS account and region, or an emulator's endpoint."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    emulator_pid: int | None = None  # the local emulator process, named when it stops mid-command
    emulator_log: str | None = None

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def describe(self) -> str:
        if self.is_local:
            return f"local emulator at {self.endpoint_url}"
        return f"AWS {self.region}" + (f" (profile {self.profile})" if self.profile else "")


@dataclass(frozen=True)
class TargetRequest:
    """What the caller asked for; `local=None` means "as BATCHCTL_LOCAL says"."""

    local: bool | None = None
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None

    @property
    def wants_local(self) -> bool:
        return self.local if self.local is not None else env_flag(LOCAL_ENV)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def resolve_target(request: TargetRequest, config_region: str) -> Target:
    """The one resolution of a target; probes the local emulator at most once (callers keep the result)."""
    check_region_variables()
    region = request.region or config_region
    if request.endpoint_url:
        return Target(region=region, endpoint_url=request.endpoint_url)
    if request.wants_local:
        from batchctl.local.process import status

        running = status()
        if running is None:
            given = "--local was given" if request.local else f"{LOCAL_ENV}=1 is set"
            raise EmulatorNotRunningError(
                f"{given} but the local emulator is not running", hint="start it with `batchctl local up`"
            )
        return Target(
            region=region, endpoint_url=running.endpoint, emulator_pid=running.pid, emulator_log=str(running.log_file)
        )
    endpoint = os.environ.get(ENDPOINT_ENV, "").strip()
    if endpoint and is_loopback(endpoint):
        return Target(region=region, endpoint_url=endpoint)
    return Target(region=region, profile=request.profile)


def is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname in LOOPBACK_HOSTS


def check_region_variables() -> None:
    """AWS_REGION (or AWS_DEFAULT_REGION) names a region AWS has, or the SDK calls made in its name would fail."""
    from batchctl.config.regions import region_problem

    for name in REGION_ENVS:
        value = os.environ.get(name, "").strip()
        problem = region_problem(value) if value else None
        if problem:
            raise ConfigError(f"{name}={value}: {problem}", hint=f"fix or unset {name}")
