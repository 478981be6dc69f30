"""Clusters survive an emulator restart: the emulator records each stack it deployed; `local up` re-creates them.

moto keeps its state in memory, so a stopped (or crashed) emulator forgets every stack. The emulator process watches
its own CloudFormation API (:func:`with_stack_recorder`): when a change set executes or a stack is created or
updated and the stack ends ``*_COMPLETE``, it records the stack's template (``GetTemplate``), parameters, tags and
capabilities in ``<state dir>/stacks.json``; when a stack is deleted, it drops the record. Records keep the order in
which stacks were first deployed, so a stack that imports another's outputs is re-created after it.
:func:`restore_stacks` re-creates every recorded stack, in that order, through change sets, as a deploy would.

What cannot come back: job history (jobs, attempts, logs) and bucket contents. moto 5.2.5 keeps an S3 object in a
``tempfile.SpooledTemporaryFile`` (in memory up to ``MOTO_S3_DEFAULT_KEY_BUFFER_SIZE``, then an unnamed temporary
file deleted with the process): nothing on disk outlives the process, so there is no file-backed storage to reuse.
Images are kept: the registry stores them under the state directory (see :mod:`batchctl.local.registry_process`).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RECORD_FILE_NAME = "stacks.json"
LOST_ON_RESTART = "job history, job logs and bucket contents are not kept across emulator restarts"
_RECORDED_ACTIONS = {"ExecuteChangeSet", "CreateStack", "UpdateStack"}
_DELETE_ACTION = "DeleteStack"
_MAX_FORM_BYTES = 2 * 1024 * 1024  # a form body larger than this is not a CloudFormation call worth recording
_SETTLE_TIMEOUT = 600.0
_POLL_INTERVAL = 0.5
_RECORDED_STATUSES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}

logger = logging.getLogger("batchctl.local.restore")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ClientFactory = Callable[[str], Any]
"""Returns a CloudFormation client of the emulator itself for the given region."""


@dataclass(frozen=True)
class StackRecord:
    name: str
    region: str
    template: str
    parameters: list[dict[str, str]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)


# --- the record file ----------------------------------------------------------------------------------------------


class StackRecords:
    """The ordered records in ``<state dir>/stacks.json``; writes are atomic and serialised."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / RECORD_FILE_NAME
        self._lock = threading.Lock()

    def load(self) -> list[StackRecord]:
        try:
            data = json.loads(self.path.read_text())
            return [StackRecord(**item) for item in data["stacks"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as err:
            logger.warning("ignoring unreadable %s: %s", self.path, err)
            return []

    def put(self, record: StackRecord) -> None:
        """Record a stack; one already recorded keeps its place in the order."""
        with self._lock:
            records = self.load()
            for index, known in enumerate(records):
                if (known.name, known.region) == (record.name, record.region):
                    records[index] = record
                    break
            else:
                records.append(record)
            self._write(records)

    def drop(self, name: str, region: str) -> None:
        with self._lock:
            records = self.load()
            kept = [known for known in records if (known.name, known.region) != (name, region)]
            if len(kept) != len(records):
                self._write(kept)

    def _write(self, records: list[StackRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"stacks": [asdict(record) for record in records]}, indent=1) + "\n")
        temporary.replace(self.path)


# --- recording, inside the emulator -------------------------------------------------------------------------------


def _stack_name(stack_id_or_name: str) -> str:
    """``arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`` -> ``<name>``."""
    if stack_id_or_name.startswith("arn:") and ":stack/" in stack_id_or_name:
        return stack_id_or_name.split(":stack/", 1)[1].split("/", 1)[0]
    return stack_id_or_name


def _region_of(environ: dict[str, Any]) -> str | None:
    """The region of a SigV4-signed request: ``Credential=<key>/<date>/<region>/<service>/aws4_request``."""
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    if "Credential=" not in authorization:
        return None
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[2] if len(scope) >= 4 and scope[3] == "cloudformation" else None


def _form_parameters(environ: dict[str, Any]) -> dict[str, str] | None:
    """The query-protocol parameters of a form POST, leaving the body readable for the application behind."""
    if environ.get("REQUEST_METHOD") != "POST":
        return None
    if "application/x-www-form-urlencoded" not in str(environ.get("CONTENT_TYPE", "")):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= _MAX_FORM_BYTES:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return dict(urllib.parse.parse_qsl(body.decode("utf-8", errors="replace")))


def with_stack_recorder(app: WsgiApp, records: StackRecords, client_for: ClientFactory) -> WsgiApp:
    """Record stacks that CloudFormation calls through ``app`` deploy or delete (after their successful answer)."""

    def recording_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        region = _region_of(environ)
        parameters = _form_parameters(environ) if region else None
        action = (parameters or {}).get("Action")
        if region is None or parameters is None or action not in _RECORDED_ACTIONS | {_DELETE_ACTION}:
            return app(environ, start_response)
        statuses: list[str] = []

        def remember_status(status: str, headers: Any, *args: Any) -> Any:
            statuses.append(status)
            return start_response(status, headers, *args)

        body = list(app(environ, remember_status))
        if statuses and statuses[0].startswith("200"):
            watch = _record_stack if action in _RECORDED_ACTIONS else _drop_stack
            threading.Thread(target=watch, args=(records, client_for(region), region, parameters), daemon=True).start()
        return body

    return recording_app


def _settled_stack(client: Any, stack: str) -> dict[str, Any] | None:
    deadline = time.monotonic() + _SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            found: dict[str, Any] = client.describe_stacks(StackName=stack)["Stacks"][0]
        except Exception:  # a stack that is gone, or an emulator that is stopping
            return None
        if not str(found["StackStatus"]).endswith("_IN_PROGRESS"):
            return found
        time.sleep(_POLL_INTERVAL)
    return None


def _record_stack(records: StackRecords, client: Any, region: str, parameters: dict[str, str]) -> None:
    try:
        stack = parameters.get("StackName")
        if parameters.get("Action") == "ExecuteChangeSet":
            change_set = client.describe_change_set(ChangeSetName=parameters["ChangeSetName"], **_stack_arg(stack))
            stack = change_set["StackId"]
        if not stack:
            return
        found = _settled_stack(client, stack)
        if found is None or found["StackStatus"] not in _RECORDED_STATUSES:
            return
        template = client.get_template(StackName=found["StackId"], TemplateStage="Original")["TemplateBody"]
        template_text = template if isinstance(template, str) else json.dumps(template)
        record = StackRecord(
            name=found["StackName"],
            region=region,
            template=template_text,
            parameters=given_parameters(template_text, found.get("Parameters", [])),
            tags=[{"Key": item["Key"], "Value": item["Value"]} for item in found.get("Tags", [])],
            capabilities=list(found.get("Capabilities", [])),
        )
        records.put(record)
        logger.info("recorded stack %s (%s) for restart", record.name, found["StackStatus"])
    except Exception:  # recording must never break the API call it watches
        logger.exception("could not record stack %s", parameters.get("StackName") or parameters.get("ChangeSetName"))


def given_parameters(template: str, described: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The parameter values to pass again. An SSM parameter type left at its default is left out: its value is the
    parameter *name*, resolved at each deploy (DescribeStacks reports the resolved value, which is not a valid name).
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#aws-ssm-parameter-types
    """
    try:
        declared = json.loads(template).get("Parameters") or {}
    except (ValueError, AttributeError):
        declared = {}
    given = []
    for item in described:
        declaration = declared.get(item["ParameterKey"]) or {}
        if str(declaration.get("Type", "")).startswith("AWS::SSM::Parameter::Value") and "Default" in declaration:
            continue
        given.append({"ParameterKey": item["ParameterKey"], "ParameterValue": str(item.get("ParameterValue", ""))})
    return given


def _stack_arg(stack: str | None) -> dict[str, str]:
    return {"StackName": stack} if stack and not stack.startswith("arn:") else {}


def _drop_stack(records: StackRecords, client: Any, region: str, parameters: dict[str, str]) -> None:
    stack = parameters.get("StackName", "")
    if not stack:
        return
    found = _settled_stack(client, stack)
    if found is not None and found["StackStatus"] != "DELETE_COMPLETE":
        return
    records.drop(_stack_name(stack), region)
    logger.info("forgot stack %s", _stack_name(stack))


# --- restoring, from the CLI --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoredStack:
    name: str
    region: str
    status: str  # CREATE_COMPLETE, ALREADY_PRESENT, or the failure status
    reason: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("CREATE_COMPLETE", "ALREADY_PRESENT")


def restore_stacks(
    records: StackRecords,
    client_for: ClientFactory,
    on_start: Callable[[StackRecord], None] = lambda record: None,
    timeout: float = _SETTLE_TIMEOUT,
) -> list[RestoredStack]:
    """Re-create every recorded stack that the emulator does not have, one after the other in recorded order."""
    results = []
    for record in records.load():
        on_start(record)
        started = time.monotonic()
        client = client_for(record.region)
        status, reason = _restore_one(client, record, timeout)
        results.append(RestoredStack(record.name, record.region, status, reason, time.monotonic() - started))
    return results


def _restore_one(client: Any, record: StackRecord, timeout: float) -> tuple[str, str]:
    from botocore.exceptions import ClientError, WaiterError

    with contextlib.suppress(ClientError):
        found = client.describe_stacks(StackName=record.name)["Stacks"][0]
        if found["StackStatus"] != "DELETE_COMPLETE":
            return "ALREADY_PRESENT", ""
    try:
        created = client.create_change_set(
            StackName=record.name,
            ChangeSetName=f"batchctl-restore-{time.strftime('%Y%m%d-%H%M%S')}",
            ChangeSetType="CREATE",
            TemplateBody=record.template,
            Parameters=record.parameters,
            Tags=record.tags,
            Capabilities=record.capabilities,
        )
        delay = 1
        client.get_waiter("change_set_create_complete").wait(
            ChangeSetName=created["Id"], WaiterConfig={"Delay": delay, "MaxAttempts": int(timeout / delay)}
        )
        client.execute_change_set(ChangeSetName=created["Id"])
        client.get_waiter("stack_create_complete").wait(
            StackName=created["StackId"], WaiterConfig={"Delay": delay, "MaxAttempts": int(timeout / delay)}
        )
    except WaiterError as err:
        last = err.last_response or {}
        stacks = last.get("Stacks") or [{}]
        status = str(stacks[0].get("StackStatus") or last.get("Status") or "FAILED")
        reason = str(stacks[0].get("StackStatusReason") or last.get("StatusReason") or err)
        return status, reason
    except ClientError as err:
        return "FAILED", str(err.response.get("Error", {}).get("Message", err))
    return "CREATE_COMPLETE", ""
