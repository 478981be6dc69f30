"""Where AWS calls go: a real account (profile/region) or the local emulator (an endpoint)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from batchctl import __version__
from batchctl.aws import emulator_answers
from batchctl.aws.errors import aws_call
from batchctl.errors import CredentialsError
from batchctl.targets import Target

__all__ = ["Aws", "Target"]

# The emulator accepts any credentials; fixed dummy ones keep real keys away from it.
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
LOCAL_ACCOUNT = "123456789012"

_CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    user_agent_extra=f"batchctl/{__version__}",
    connect_timeout=10,
    read_timeout=60,
)


class Aws:
    """Clients for one target, created on first use and cached."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._clients: dict[str, Any] = {}
        if target.is_local:
            self._session = boto3.Session(region_name=target.region, **LOCAL_CREDENTIALS)
        else:
            self._session = _aws_session(target)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self._session.client(service, endpoint_url=self.target.endpoint_url, config=_CLIENT_CONFIG)
            if self.target.is_local:
                emulator_answers.register(client, self.target.emulator_pid, self.target.emulator_log)
            self._clients[service] = client
        return self._clients[service]

    @aws_call
    def account_id(self) -> str:
        if self.target.is_local:
            return LOCAL_ACCOUNT
        return str(self.client("sts").get_caller_identity()["Account"])


@aws_call
def _aws_session(target: Target) -> boto3.Session:
    session = boto3.Session(profile_name=target.profile, region_name=target.region)
    if session.get_credentials() is None:
        raise CredentialsError(
            "no AWS credentials found",
            hint="set AWS_PROFILE or run `aws configure`; or use --local for the local emulator",
        )
    return session
