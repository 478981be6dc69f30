"""A local emulator that dies mid-command, or answers with an error page, gives one line that says so."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from tests.emulator_fixtures import free_port

from batchctl.aws.batch import Batch
from batchctl.aws.session import Aws, Target
from batchctl.errors import EmulatorAnswerError, EmulatorStoppedError


class ErrorPage(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b"<!DOCTYPE html><html><title>500 Internal Server Error</title></html>"
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def error_page_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ErrorPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_html_error_page_is_one_line_naming_the_log(error_page_endpoint: str) -> None:
    target = Target("us-east-1", endpoint_url=error_page_endpoint, emulator_pid=1, emulator_log="/x/emulator.log")
    started = time.monotonic()
    with pytest.raises(EmulatorAnswerError) as raised:
        Batch(Aws(target).client("batch")).describe_job_queues(["q"])
    assert raised.value.message == (
        "the local emulator failed on DescribeJobQueues (HTTP 500, not an AWS answer); see its log: /x/emulator.log"
    )
    assert time.monotonic() - started < 5  # no ten retries of an error page


def test_an_emulator_that_stopped_is_named_with_its_pid() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    target = Target("us-east-1", endpoint_url=f"http://127.0.0.1:{free_port()}", emulator_pid=gone.pid)
    with pytest.raises(EmulatorStoppedError) as raised:
        Batch(Aws(target).client("batch")).describe_job_queues(["q"])
    assert raised.value.message == f"the local emulator stopped (pid {gone.pid}) during DescribeJobQueues"
    assert "batchctl local up" in (raised.value.hint or "")
