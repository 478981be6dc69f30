"""The dashboard served for real (uvicorn on 127.0.0.1) against a cluster deployed into the session's emulator.

Security (token, cookie, Host, CSRF, Origin, no CORS, no environment values), every page and section, the live
streams' first events, downloads and the two actions. Nothing is mocked: the SDK talks to the moto server. The
cluster's image is never built, so its jobs fail on the image pull: finished jobs and a failed array, quickly;
a 64-vCPU job on a 16-vCPU environment stays RUNNABLE (it can never be placed).
"""

from __future__ import annotations

import http.server
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.browser import Http, Served, serve_dashboard
from tests.emulator_fixtures import Emulator
from tests.helpers import DEMO_CONFIG, capture_cli, write_yaml

from batchctl.api import Batchctl
from batchctl.ui.actions import MAX_FORM_BYTES
from batchctl.ui.security import cookie_name

pytestmark = pytest.mark.integration

SECRET = "s3cr3t-value-never-shown"


@dataclass
class Site:
    sdk: Batchctl
    served: Served
    ids: dict[str, str]
    emulator: Emulator
    config: Path

    @property
    def keys(self) -> Any:
        return self.served.keys

    @property
    def port(self) -> int:
        return self.served.port

    def client(self, *, admitted: bool = True) -> Http:
        return self.served.client(admitted=admitted)


def submit(config: Path, path: Path) -> dict[str, str]:
    code, out, err = capture_cli(["--local", "-f", str(config), "-o", "json", "submit", str(path)])
    assert code == 0, err
    return {job["name"]: job["job_id"] for job in json.loads(out)["jobs"]}


@pytest.fixture(scope="module")
def site(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("ui")
    config = write_yaml(directory / "batchctl.yaml", {**DEMO_CONFIG, "name": "uipages"})
    code, _, err = capture_cli(["--local", "-f", str(config), "deploy", "--yes"])
    assert code == 0, err
    base = {"queue": "cpu", "definition": "helloworld"}
    jobs = [
        {**base, "name": "plain", "command": "echo hi", "environment": {"API_TOKEN": SECRET}},
        {**base, "name": "spread", "command": "echo hi", "array_size": 4},
        {**base, "name": "after", "command": "echo hi", "depends_on": ["plain"]},
    ]
    ids = submit(config, write_yaml(directory / "jobs.yaml", {"jobs": jobs}))
    big = [{**base, "name": "big", "command": "true", "vcpus": 64}]
    code, out, err = capture_cli(
        [
            "--local",
            "-f",
            str(config),
            "-o",
            "json",
            "submit",
            "--force",
            str(write_yaml(directory / "big.yaml", {"jobs": big})),
        ]
    )
    assert code == 0, err
    ids["big"] = json.loads(out)["jobs"][0]["job_id"]
    sdk = Batchctl.from_config(config, local=True)
    deadline = time.monotonic() + 90
    while not all(sdk.show(ids[name]).job.terminal for name in ("plain", "spread", "after")):
        assert time.monotonic() < deadline, "the image-less jobs did not finish"
        time.sleep(1)
    with serve_dashboard(sdk, poll_seconds=0.2) as served:
        yield Site(sdk, served, ids, emulator, config)


# -- who may talk to it ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cluster", "/jobs", "/static/htmx.min.js", "/events/jobs", "/jobs/x/why"])
def test_without_the_token_every_path_is_403(site: Site, path: str) -> None:
    answer = site.client(admitted=False).get(path)
    assert answer.status == 403
    assert "token" in answer.text


def test_a_wrong_token_or_cookie_is_403(site: Site) -> None:
    client = site.client(admitted=False)
    assert client.get("/cluster", params={"token": "wrong"}).status == 403
    client.cookies[cookie_name(site.port)] = "wrong"
    assert client.get("/cluster").status == 403


def test_the_token_sets_a_strict_http_only_cookie_and_leaves_the_url(site: Site) -> None:
    client = site.client(admitted=False)
    answer = client.get("/jobs", params={"token": site.keys.token, "status": "FAILED"})
    assert answer.status == 303
    assert answer.headers["location"] == f"{site.keys.base}/jobs?status=FAILED"
    cookie = answer.headers["set-cookie"]
    assert cookie.endswith(f"Path={site.keys.base}")  # other servers on 127.0.0.1 never receive it
    assert cookie.startswith(f"{cookie_name(site.port)}={site.keys.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    client.cookies[cookie_name(site.port)] = site.keys.token
    assert client.get("/jobs", params={"status": "FAILED"}).status == 200  # the cookie is enough from now on


def test_another_host_header_is_403_even_with_the_cookie(site: Site) -> None:
    client = site.client()
    for host in (f"evil.example:{site.port}", f"127.0.0.1:{site.port + 1}", "127.0.0.1"):
        assert client.get("/cluster", headers={"host": host}).status == 403, host
    assert client.get("/cluster", headers={"host": f"localhost:{site.port}"}).status == 200


def test_no_cors_and_a_strict_content_security_policy(site: Site) -> None:
    answer = site.client().get("/cluster", headers={"origin": "http://evil.example"})
    assert answer.status == 200
    assert not any(name.lower().startswith("access-control-") for name in answer.headers)
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "<script>" not in answer.text  # no inline script: the policy allows the package's files only


# -- pages -----------------------------------------------------------------------------------------------------


def test_cluster_page_shows_stacks_environments_and_queues(site: Site) -> None:
    page = site.client().get("/cluster").text
    assert "CREATE_COMPLETE" in page
    assert "uipages-cpu-spot" in page and "ENABLED" in page and "/ 16" in page  # vCPUs in use / maxvCpus
    queues = page[page.index('id="queues"') :]
    assert ">cpu</a>" in queues and "RUNNABLE" in queues
    assert site.ids["big"] in queues  # the front of the queue (GetJobQueueSnapshot)


def test_jobs_page_lists_filters_and_sorts(site: Site) -> None:
    client = site.client()
    page = client.get("/jobs").text
    for name in ("plain", "spread", "after", "big"):
        assert f">{name}</a>" in page
    failed = client.get("/jobs", params={"status": "failed"}).text
    assert ">plain</a>" in failed and ">big</a>" not in failed
    by_name = client.get("/jobs", params={"sort": "name", "order": "asc"}).text
    names = re.findall(rf'<a href="{site.keys.base}/jobs/[^"]+">([a-z]+)</a>', by_name)
    assert names == sorted(names) == ["after", "big", "plain", "spread"]
    assert ">big</a>" in client.get("/jobs", params={"name": "bi*"}).text
    assert ">plain</a>" not in client.get("/jobs", params={"name": "bi*"}).text


def test_a_bad_filter_is_one_readable_line_not_a_traceback(site: Site) -> None:
    answer = site.client().get("/jobs", params={"since": "banana"})
    assert answer.status == 400
    assert "cannot read --since" in answer.text and "Traceback" not in answer.text


def test_a_bad_filter_on_a_stream_is_an_error_before_any_event(site: Site) -> None:
    answer = site.client().get("/events/jobs", params={"status": "bogus"})
    assert answer.status == 400 and "unknown job status BOGUS" in answer.text


def test_markup_in_a_path_comes_back_escaped(site: Site) -> None:
    answer = site.client().get("/jobs/%3Cscript%3Ealert(1)")
    assert answer.status == 404 and "<script>alert" not in answer.text and "&lt;script&gt;alert(1)" in answer.text


def test_an_unknown_job_is_a_404_page(site: Site) -> None:
    answer = site.client().get("/jobs/no-such-job")
    assert answer.status == 404
    assert "job no-such-job not found" in answer.text


def test_job_page_hides_environment_values(site: Site) -> None:
    client = site.client()
    page = client.get(f"/jobs/{site.ids['plain']}").text
    assert "API_TOKEN" in page and SECRET not in page
    assert "FAILED" in page and 'id="attempts"' in page


def test_array_page_has_one_cell_per_child_and_the_graph(site: Site) -> None:
    client = site.client()
    page = client.get(f"/jobs/{site.ids['spread']}").text
    grid = page[page.index('id="array-grid"') :].split("</div>", 1)[0]
    assert grid.count('<i class="f"></i>') == 4  # every child FAILED
    graph = client.get(f"/jobs/{site.ids['after']}/graph").text
    assert "after plain" in " ".join(re.sub(r"<[^>]+>", " ", graph).split())
    assert "<svg" in graph


def test_why_of_a_job_that_cannot_be_placed(site: Site) -> None:
    text = site.client().get(f"/jobs/{site.ids['big']}/why").text
    assert "64" in text and "maxvCpus" in text


def test_usage_and_outputs_sections(site: Site) -> None:
    client = site.client()
    usage = client.get(f"/jobs/{site.ids['plain']}/usage").text
    assert "usage-table" in usage or "Nothing to report" in usage
    url = site.sdk.show(site.ids["plain"]).output_url
    assert url
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    site.emulator.client("s3").put_object(Bucket=bucket, Key=prefix + "result/hello.txt", Body=b"hello, dashboard\n")
    outputs = client.get(f"/jobs/{site.ids['plain']}/outputs").text
    assert "result/hello.txt" in outputs
    download = client.get(f"/jobs/{site.ids['plain']}/outputs/result/hello.txt")
    assert download.status == 200 and download.body == b"hello, dashboard\n"
    assert download.headers["content-disposition"] == "attachment; filename=\"hello.txt\"; filename*=UTF-8''hello.txt"
    assert download.headers["content-type"] == "application/octet-stream"
    assert client.get(f"/jobs/{site.ids['plain']}/outputs/other.txt").status == 404  # only listed files


# -- live streams ----------------------------------------------------------------------------------------------


def test_jobs_stream_sends_rows(site: Site) -> None:
    rows = site.client().event("/events/jobs?v=stale", "rows")
    assert ">plain</a>" in rows and 'class="row failed"' in rows


def test_job_stream_sends_the_grid_then_ends(site: Site) -> None:
    assert site.client().event(f"/events/jobs/{site.ids['spread']}", "grid") == "ffff"
    assert site.client().event(f"/events/jobs/{site.ids['spread']}", "end") == "FAILED"


def test_log_stream_of_a_finished_job_then_its_end(site: Site) -> None:
    events = site.client().events(f"/events/jobs/{site.ids['plain']}/logs")
    assert events[-1] == ("end", "")
    notices = [data for event, data in events if event == "notice"]
    assert notices and ("no lines" in notices[0] or "never started" in notices[0]), events


# -- actions ---------------------------------------------------------------------------------------------------


def test_cancel_needs_the_confirmation_form_and_its_csrf_token(site: Site) -> None:
    client = site.client()
    job = site.ids["big"]
    confirm = client.get(f"/jobs/{job}/cancel").text
    assert "Cancel big?" in confirm and f'value="{site.keys.csrf}"' in confirm
    assert client.post(f"/jobs/{job}/cancel", data={"reason": "x"}).status == 403
    assert client.post(f"/jobs/{job}/cancel", data={"csrf": "forged"}).status == 403
    oversized = {"csrf": site.keys.csrf, "reason": "x" * (MAX_FORM_BYTES + 1)}
    assert client.post(f"/jobs/{job}/cancel", data=oversized).status == 403  # read no further than a form holds
    foreign = client.post(
        f"/jobs/{job}/cancel", data={"csrf": site.keys.csrf}, headers={"origin": "http://evil.example"}
    )
    assert foreign.status == 403
    assert site.sdk.show(job).job.status == "RUNNABLE"  # none of those did anything
    done = client.post(f"/jobs/{job}/cancel", data={"csrf": site.keys.csrf, "reason": "from the test"})
    assert done.status == 200 and "cancelled" in done.text
    deadline = time.monotonic() + 30
    while site.sdk.show(job).job.status != "FAILED":
        assert time.monotonic() < deadline
        time.sleep(0.5)


def test_resubmit_failed_children_behind_a_confirmation(site: Site) -> None:
    client = site.client()
    job = site.ids["spread"]
    confirm = client.get(f"/jobs/{job}/resubmit").text
    assert "the failed children" in confirm and "0, 1, 2, 3" in confirm
    assert client.post(f"/jobs/{job}/resubmit", data={}).status == 403
    done = client.post(f"/jobs/{job}/resubmit", data={"csrf": site.keys.csrf})
    assert done.status == 200, done.text
    new_id = re.search(rf'id="resubmitted">New job <a href="{site.keys.base}/jobs/([^"]+)"', done.text)
    assert new_id, done.text
    assert site.sdk.show(new_id.group(1)).resubmit_of == job


# -- the command -----------------------------------------------------------------------------------------------


def read_document(stream: Any) -> Any:
    """The first JSON document of a stream that stays open (the server goes on serving after it)."""
    text = ""
    for line in stream:
        text += line
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            continue
    raise AssertionError(f"no JSON document in {text!r}")


def test_the_command_prints_its_url_then_serves_until_interrupted(site: Site) -> None:
    path = site.config
    command = [sys.executable, "-m", "batchctl", "--local", "-f", str(path), "ui", "--no-open", "-o", "json"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        serving = read_document(server.stdout)
        assert serving["host"] == "127.0.0.1" and serving["cluster"] == "uipages"
        origin = f"http://127.0.0.1:{serving['port']}"
        found = re.fullmatch(rf"{re.escape(origin)}(/[A-Za-z0-9_-]{{16}})/\?token=([A-Za-z0-9_-]+)", serving["url"])
        assert found, serving["url"]
        base, token = found.groups()
        assert Http(origin).get("/cluster", params={"token": token}).status == 403  # nothing outside the base
        client = Http(origin + base)
        assert client.get("/cluster").status == 403
        admitted = client.get("/", params={"token": token})
        assert admitted.status == 303 and "HttpOnly" in admitted.headers["set-cookie"]
        client.cookies[cookie_name(serving["port"])] = token
        assert "CREATE_COMPLETE" in client.get("/cluster").text
        code, _, err = capture_cli(["--local", "-f", str(path), "ui", "--port", str(serving["port"]), "--dry-run"])
        assert code == 1 and f"cannot listen on 127.0.0.1:{serving['port']}" in err  # the port is taken
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert token not in stderr  # no access log: the token stays out of the terminal


DENIED = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
    b"<Message>User: test is not authorized to perform this action</Message></Error></ErrorResponse>"
)


class _Denies(http.server.BaseHTTPRequestHandler):
    """An endpoint that refuses every call as AWS refuses a caller without permission (403, not retried)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(403)
        self.send_header("x-amzn-ErrorType", "AccessDeniedException")
        self.send_header("content-type", "text/xml")
        self.send_header("content-length", str(len(DENIED)))
        self.end_headers()
        self.wfile.write(DENIED)

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        return


def test_an_aws_refusal_is_a_readable_page_and_section(site: Site) -> None:
    endpoint = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Denies)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    try:
        denied = Batchctl.from_config(site.config, endpoint_url=f"http://127.0.0.1:{endpoint.server_address[1]}")
        with serve_dashboard(denied) as served:
            client = served.client()
            page = client.get("/cluster")
            assert page.status == 502, page.text
            assert "not authorized" in page.text and "Traceback" not in page.text
            section = client.get(f"/jobs/{site.ids['plain']}/why")
            assert section.status == 200 and 'class="problem"' in section.text  # the section says it, the page stands
    finally:
        endpoint.shutdown()
        endpoint.server_close()


def test_a_log_follow_of_a_job_that_never_starts_ends_when_its_reader_goes_away(site: Site) -> None:
    """The dashboard's log stream runs the SDK's follow in a worker thread: closing the page sets its stop event,
    and the follow must end at its next wait rather than poll AWS (and hold the thread) while the job waits."""
    import threading

    stop = threading.Event()
    seen: list[object] = []
    follower = threading.Thread(target=lambda: seen.extend(site.sdk.follow_logs(site.ids["big"], stop=stop)))
    follower.start()
    time.sleep(1.0)
    assert follower.is_alive()  # the job is RUNNABLE for good: the follow waits for it
    stop.set()
    follower.join(timeout=10)
    assert not follower.is_alive()
