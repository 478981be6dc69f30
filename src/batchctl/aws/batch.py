"""AWS Batch: jobs and queues. Plain data out, no printing.

API economy: ListJobs pages hold up to 1000 jobs (the most AWS returns), DescribeJobs takes up to 100 ids,
and DescribeJobs already returns each job's tags, so no tag call is ever needed.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, HTTPClientError

from batchctl.aws.errors import aws_call
from batchctl.errors import AwsError

LIST_PAGE_SIZE = 1000
DESCRIBE_BATCH_SIZE = 100

_SUBMIT_HOOK_ID = "batchctl-submit-job-no-blind-retry"


class UncertainSubmission(AwsError):
    """SubmitJob failed in a way that does not tell whether AWS created the job (a timeout, a 5xx)."""


class SubmitThrottled(AwsError):
    """AWS refused a SubmitJob for its rate (HTTP 429 TooManyRequestsException): no job was created."""


# The codes botocore's retry rules treat as throttling (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html).
THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded"}
)


class Batch:
    def __init__(self, client: Any) -> None:
        self._client = client
        # SubmitJob has no idempotency token: botocore's own retry of a timed-out SubmitJob could create the
        # job twice. The hook hands such failures to the caller, which looks the job up before retrying; it hands
        # throttling to the caller too, whose rate limiter is shared by all its concurrent submissions.
        client.meta.events.register_first(
            "needs-retry.batch.SubmitJob", _surface_uncertain_submit_failures, unique_id=_SUBMIT_HOOK_ID
        )

    @aws_call
    def submit_job(self, request: dict[str, Any]) -> str:
        """One SubmitJob; returns the job id. Raises UncertainSubmission when the outcome is unknown, SubmitThrottled
        when AWS refused it for its rate."""
        try:
            return str(self._client.submit_job(**request)["jobId"])
        except (ConnectTimeoutError, EndpointConnectionError):
            raise  # never reached AWS: an ordinary error
        except HTTPClientError as exc:
            raise UncertainSubmission(f"SubmitJob {request['jobName']}: no answer from AWS ({exc})") from exc
        except ClientError as exc:
            if _status(exc) >= 500:
                raise UncertainSubmission(f"SubmitJob {request['jobName']}: AWS answered {_status(exc)}") from exc
            if _is_throttling(exc):
                raise SubmitThrottled(f"SubmitJob {request['jobName']}: throttled by AWS") from exc
            raise

    @aws_call
    def list_jobs(
        self,
        queue: str | None = None,
        *,
        status: str | None = None,
        filters: list[dict[str, Any]] | None = None,
        array_job_id: str | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Job summaries, one list per ListJobs page (up to 1000 each).

        A filter returns jobs of every status and makes AWS ignore `status`; with neither, AWS returns only
        RUNNING jobs.
        """
        kwargs: dict[str, Any] = {}
        if queue:
            kwargs["jobQueue"] = queue
        if array_job_id:
            kwargs["arrayJobId"] = array_job_id
        if filters:
            kwargs["filters"] = filters
        elif status:
            kwargs["jobStatus"] = status
        paginator = self._client.get_paginator("list_jobs")
        pages = paginator.paginate(**kwargs, PaginationConfig={"PageSize": LIST_PAGE_SIZE})
        return [list(page.get("jobSummaryList", [])) for page in pages]

    @aws_call
    def describe_jobs(self, job_ids: list[str]) -> list[dict[str, Any]]:
        """Full details (tags included) of the jobs that exist, in batches of 100 ids per call."""
        found: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(job_ids))
        for start in range(0, len(unique), DESCRIBE_BATCH_SIZE):
            batch = unique[start : start + DESCRIBE_BATCH_SIZE]
            found.extend(self._client.describe_jobs(jobs=batch).get("jobs", []))
        return found

    @aws_call
    def cancel_job(self, job_id: str, reason: str) -> None:
        self._client.cancel_job(jobId=job_id, reason=reason)

    @aws_call
    def terminate_job(self, job_id: str, reason: str) -> None:
        self._client.terminate_job(jobId=job_id, reason=reason)

    @aws_call
    def describe_job_queues(self, queues: list[str] | None = None) -> list[dict[str, Any]]:
        """The named queues (names or ARNs), or every queue of the account and region when None."""
        if queues == []:
            return []
        kwargs = {"jobQueues": queues} if queues else {}
        paginator = self._client.get_paginator("describe_job_queues")
        return [queue for page in paginator.paginate(**kwargs) for queue in page.get("jobQueues", [])]

    @aws_call
    def describe_compute_environments(self, environments: list[str]) -> list[dict[str, Any]]:
        if not environments:
            return []
        paginator = self._client.get_paginator("describe_compute_environments")
        return [
            item
            for page in paginator.paginate(computeEnvironments=environments)
            for item in page.get("computeEnvironments", [])
        ]

    @aws_call
    def active_job_definitions(self, name: str) -> list[dict[str, Any]]:
        """Every ACTIVE revision of the job definition called `name`."""
        paginator = self._client.get_paginator("describe_job_definitions")
        pages = paginator.paginate(jobDefinitionName=name, status="ACTIVE")
        return [item for page in pages for item in page.get("jobDefinitions", [])]

    @aws_call
    def register_job_definition(self, request: dict[str, Any]) -> str:
        """RegisterJobDefinition; returns the new revision's ARN."""
        return str(self._client.register_job_definition(**request)["jobDefinitionArn"])

    @aws_call
    def get_job_queue_snapshot(self, queue: str) -> list[dict[str, Any]]:
        """The front of a queue: its first RUNNABLE jobs in the order they will be placed, each
        {jobArn, earliestTimeAtPosition} (https://docs.aws.amazon.com/batch/latest/APIReference/API_GetJobQueueSnapshot.html)."""
        answer = self._client.get_job_queue_snapshot(jobQueue=queue)
        return list((answer.get("frontOfQueue") or {}).get("jobs") or [])

    @aws_call
    def describe_job_definitions(self, definitions: list[str]) -> list[dict[str, Any]]:
        """The named job definitions (ARNs or name:revision) that exist, active or not."""
        if not definitions:
            return []
        paginator = self._client.get_paginator("describe_job_definitions")
        return [
            item for page in paginator.paginate(jobDefinitions=definitions) for item in page.get("jobDefinitions", [])
        ]


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _is_throttling(exc: ClientError) -> bool:
    return _status(exc) == 429 or exc.response.get("Error", {}).get("Code") in THROTTLING_CODES


def _surface_uncertain_submit_failures(
    response: Any = None, caught_exception: Exception | None = None, **_: Any
) -> None:
    """needs-retry hook for SubmitJob: raise what botocore would retry blindly when the job may exist already,
    and throttling, which the submitter's own adaptive rate limit answers (AWS refused it: no job was created)."""
    if caught_exception is not None:
        if isinstance(caught_exception, ConnectTimeoutError | EndpointConnectionError):
            return  # the request never reached AWS: retrying cannot duplicate it
        raise caught_exception
    if response is None:
        return
    http_response, parsed = response
    code = parsed.get("Error", {}).get("Code") if isinstance(parsed, dict) else None
    if http_response.status_code >= 500 or http_response.status_code == 429 or code in THROTTLING_CODES:
        raise ClientError(parsed, "SubmitJob")
