"""Where AWS calls go: a real account (profile/region) or the local emulator (an endpoint).

Clients come from a botocore session, as the AWS CLI's do: importing boto3 costs about 40 ms more (it loads
s3transfer), which read-only commands would pay on every run. S3 clients alone are made through boto3, wrapping
the same botocore session, for the managed transfers (download_file, upload_file) boto3 adds to them.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.config import Config

from batchctl import __version__
from batchctl.aws import emulator_answers
from batchctl.aws.botocore_data import shared_loader
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
            self._session = botocore.session.Session()
            self._session.register_component("data_loader", shared_loader())
            self._session.set_credentials(
                LOCAL_CREDENTIALS["aws_access_key_id"], LOCAL_CREDENTIALS["aws_secret_access_key"]
            )
        else:
            self._session = _aws_session(target)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            options = {
                "region_name": self.target.region,
                "endpoint_url": self.target.endpoint_url,
                "config": _CLIENT_CONFIG,
            }
            if service == "s3":
                import boto3

                client = boto3.Session(botocore_session=self._session).client(service, **options)
            else:
                client = self._session.create_client(service, **options)
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
def _aws_session(target: Target) -> botocore.session.Session:
    session = botocore.session.Session(profile=target.profile)
    session.register_component("data_loader", shared_loader())
    if session.get_credentials() is None:
        raise CredentialsError(
            "no AWS credentials found",
            hint="set AWS_PROFILE or run `aws configure`; or use --local for the local emulator",
        )
    return session
