"""One decorator that turns botocore failures into the project's errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from batchctl.errors import AwsError, CredentialsError

P = ParamSpec("P")
R = TypeVar("R")

_CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "AuthFailure",
}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def aws_call(func: Callable[P, R]) -> Callable[P, R]:
    """Map botocore errors raised by `func` to AwsError / CredentialsError with a one-line message."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ClientError as exc:
            code = error_code(exc)
            operation = exc.operation_name
            if code in _CREDENTIAL_CODES:
                raise CredentialsError(
                    f"AWS rejected the credentials ({code}) in {operation}",
                    hint="refresh them (aws sso login / aws configure) or choose another --profile",
                ) from exc
            if code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}:
                raise AwsError(
                    f"access denied in {operation}: {error_message(exc)}",
                    hint="the identity in use lacks a permission; see the message for which",
                ) from exc
            raise AwsError(f"{operation} failed ({code}): {error_message(exc)}") from exc
        except (NoCredentialsError, PartialCredentialsError, TokenRetrievalError) as exc:
            raise CredentialsError(
                "no AWS credentials found",
                hint="set AWS_PROFILE or run `aws configure`; or use --local for the local emulator",
            ) from exc
        except ProfileNotFound as exc:
            raise CredentialsError(str(exc), hint="list profiles with `aws configure list-profiles`") from exc
        except NoRegionError as exc:
            raise AwsError("no AWS region set", hint="set region in batchctl.yaml, AWS_REGION, or --region") from exc
        except EndpointConnectionError as exc:
            raise AwsError(f"cannot reach {exc.kwargs.get('endpoint_url', 'the AWS endpoint')}") from exc
        except BotoCoreError as exc:
            raise AwsError(str(exc)) from exc

    return wrapper
