"""The dashboard in a real browser (headless Chromium through Selenium) on the local emulator, real containers.

One deployed cluster, one dashboard and one browser for the module:
- a request without the token gets 403; the token'd URL opens the cluster page;
- the helloworld file submitted: its jobs appear in the jobs table and change state without a reload;
- the array job's grid: every child turns SUCCEEDED;
- an array child's log followed while it runs (its lines arrive before it has finished);
- a running job terminated from its page, behind the confirmation;
- `why` for a job that cannot be placed (64 vCPUs against maxvCpus 16).
With BATCHCTL_UI_SCREENSHOTS=<dir>, each main page is saved there as a PNG (never into the work tree by default).
In CI (CI=true) a missing Docker engine, base image, Chromium or ChromeDriver fails these tests; elsewhere skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.browser import SCREENSHOTS_ENV, Served, chromium, console_errors, require_browser, serve_dashboard
from tests.deployed_cluster import HELLOWORLD, DeployedCluster, deploy_cluster, first_json
from tests.emulator_fixtures import Emulator

from batchctl.api import Batchctl

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

WAIT = 60  # seconds for anything a job does


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> DeployedCluster:
    require_browser()
    return deploy_cluster("uibrowser", tmp_path_factory)


@pytest.fixture(scope="module")
def served(cluster: DeployedCluster) -> Iterator[Served]:
    with serve_dashboard(Batchctl.from_config(cluster.config, local=True), poll_seconds=0.5) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    with chromium() as driver:
        driver.get(served.url)  # admitted: the dashboard's cookie is set (each test can run alone)
        yield driver


def until(driver: Any, check: Callable[[Any], Any], message: str, timeout: float = WAIT) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(check, message)
    except TimeoutException:
        page = driver.execute_script("return document.body ? document.body.innerText : ''")
        raise AssertionError(f"{message} after {timeout} s; {driver.current_url} shows:\n{page[:3000]}") from None


def text_of(driver: Any, element_id: str) -> str:
    return str(
        driver.execute_script(f"const e = document.getElementById('{element_id}'); return e ? e.textContent : '';")
    )


def screenshot(driver: Any, name: str) -> None:
    """Save the page (its full height, up to 2400 px) when BATCHCTL_UI_SCREENSHOTS names a directory."""
    directory = os.environ.get(SCREENSHOTS_ENV)
    if not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    height = min(2400, int(driver.execute_script("return document.documentElement.scrollHeight")) + 20)
    size = driver.get_window_size()
    driver.set_window_size(size["width"], max(height, 600))
    try:
        driver.save_screenshot(str(Path(directory) / f"{name}.png"))
    finally:
        driver.set_window_size(size["width"], size["height"])


def run(cluster: DeployedCluster, *args: str) -> str:
    code, out, err = cluster.cli("-o", "json", "run", *args)
    assert code == 0, err
    return str(first_json(out)["job"]["job_id"])


def test_a_request_without_the_token_gets_403(served: Served, browser: Any) -> None:
    answer = served.client(admitted=False).get("/jobs")
    assert answer.status == 403
    browser.delete_all_cookies()
    browser.get(f"{served.origin}/cluster")
    assert "403 Forbidden" in browser.page_source


def test_the_printed_url_opens_the_cluster_page(served: Served, browser: Any) -> None:
    browser.get(served.url)
    until(browser, lambda d: d.current_url == f"{served.origin}/cluster", "no redirect to the cluster page")
    assert "token=" not in browser.current_url
    page = browser.page_source
    assert "CREATE_COMPLETE" in page and "uibrowser-cpu-spot" in page
    screenshot(browser, "cluster")


@pytest.fixture(scope="module")
def helloworld(cluster: DeployedCluster, served: Served, browser: Any) -> list[dict[str, Any]]:
    """The helloworld file submitted while the jobs page is open (and marked: a reload would lose the mark)."""
    browser.get(f"{served.origin}/jobs")
    until(browser, lambda d: "on" in d.find_element("id", "live-state").get_attribute("class"), "no live stream")
    browser.execute_script("window.sameDocument = 'yes';")
    code, out, err = cluster.cli("-o", "json", "submit", str(HELLOWORLD / "jobs.yaml"))
    assert code == 0, err
    jobs: list[dict[str, Any]] = first_json(out)["jobs"]
    return jobs


def test_jobs_appear_and_change_state_without_a_reload(
    served: Served, browser: Any, helloworld: list[dict[str, Any]]
) -> None:
    if not browser.execute_script("return window.sameDocument"):
        pytest.fail("the jobs page was left before its updates were checked")
    ids = [job["job_id"] for job in helloworld]
    row = "return Array.from(document.querySelectorAll('#jobs-body tr')).filter(r => r.dataset.id === arguments[0])"
    until(browser, lambda d: all(d.execute_script(row, job_id) for job_id in ids), "the jobs did not appear")
    statuses = "return document.querySelector(`#jobs-body tr[data-id='${arguments[0]}'] .badge`).textContent"
    until(
        browser,
        lambda d: all(d.execute_script(statuses, job_id) == "SUCCEEDED" for job_id in ids),
        "the jobs did not all succeed on the page",
    )
    assert browser.execute_script("return window.sameDocument") == "yes"
    assert int(browser.execute_script("return document.body.dataset.updates || '0'")) >= 2  # appeared, then changed
    screenshot(browser, "jobs")


def test_the_array_jobs_grid(
    cluster: DeployedCluster, served: Served, browser: Any, helloworld: list[dict[str, Any]]
) -> None:
    array = next(job for job in helloworld if job["array_size"] and job["name"].startswith("hello-array"))
    cluster.wait_for(array["job_id"], ("SUCCEEDED", "FAILED"))
    browser.get(f"{served.origin}/jobs")
    until(browser, lambda d: d.find_elements("link text", array["name"]), "the array is not listed")
    browser.find_element("link text", array["name"]).click()
    until(browser, lambda d: d.find_elements("id", "array-grid"), "no grid on the array's page")
    cells = browser.find_elements("css selector", "#array-grid i")
    assert len(cells) == 3
    assert [cell.get_attribute("class") for cell in cells] == ["d", "d", "d"]  # SUCCEEDED
    until(browser, lambda d: "after" in text_of(d, "dependency-list"), "no dependency graph")
    until(browser, lambda d: "hello.txt" in text_of(d, "outputs"), "no outputs")
    cells[1].click()  # the child's own page
    until(browser, lambda d: d.current_url.endswith(f"{array['job_id']}:1"), "the cell did not open its child")
    until(browser, lambda d: "(array index 1)" in text_of(d, "log"), "no log of child 1")
    browser.back()
    until(browser, lambda d: d.find_elements("id", "array-grid"), "no grid")
    screenshot(browser, "array-job")


def test_follow_a_childs_log_while_it_runs(cluster: DeployedCluster, served: Served, browser: Any) -> None:
    job_id = run(cluster, "--array", "2", "--name", "napping", "--", "python3", "/app/hello.py", "--sleep", "8")
    browser.get(f"{served.origin}/jobs/{job_id}:0")
    until(browser, lambda d: "sleeping 8s" in text_of(d, "log"), "the running child's log did not arrive")
    # The line came while the child was still running: the page is following, not reading a finished log.
    assert text_of(browser, "log-state") == "following…"
    assert Batchctl.from_config(cluster.config, local=True).show(f"{job_id}:0").job.status == "RUNNING"
    screenshot(browser, "child-log")
    until(browser, lambda d: text_of(d, "log-state") == "end of log", "the log did not end with the child")
    until(browser, lambda d: text_of(d, "job-status") == "SUCCEEDED", "the header did not follow the child")


def test_terminate_a_running_job_from_its_page(cluster: DeployedCluster, served: Served, browser: Any) -> None:
    job_id = run(cluster, "--name", "sleeper", "--", "python3", "/app/hello.py", "--sleep", "300")
    browser.get(f"{served.origin}/jobs/{job_id}")
    until(browser, lambda d: text_of(d, "job-status") == "RUNNING", "the job did not start")
    until(browser, lambda d: "Terminate" in text_of(d, "cancel-link"), "no terminate link")
    browser.find_element("id", "cancel-link").click()
    until(browser, lambda d: d.find_elements("id", "confirm"), "no confirmation")
    assert "Terminate sleeper?" in browser.page_source
    browser.find_element("name", "reason").send_keys("stopped from the dashboard test")
    browser.find_element("id", "confirm").click()
    until(browser, lambda d: "terminated" in text_of(d, "outcomes"), "no outcome")
    browser.find_element("link text", "Back to the job").click()
    until(browser, lambda d: text_of(d, "job-status") == "FAILED", "the terminated job did not fail")
    assert "stopped from the dashboard test" in text_of(browser, "job-header")


def test_why_for_a_job_that_cannot_be_placed(cluster: DeployedCluster, served: Served, browser: Any) -> None:
    job_id = run(cluster, "--force", "--vcpus", "64", "--name", "too-big", "--", "true")
    browser.get(f"{served.origin}/jobs/{job_id}")
    until(browser, lambda d: d.find_elements("id", "why-verdict"), "no why verdict")
    why = text_of(browser, "why")
    assert "64" in why and "maxvCpus" in why, why
    until(browser, lambda d: text_of(d, "job-status") == "RUNNABLE", "the header did not follow the job")
    screenshot(browser, "why")
    Batchctl.from_config(cluster.config, local=True).cancel([job_id])


def test_no_page_broke_the_content_security_policy_or_a_script(browser: Any) -> None:
    # Earlier tests' consoles: the 403 page's own "Failed to load resource" is expected, nothing else.
    errors = [line for line in console_errors(browser) if "403" not in line]
    assert not [line for line in errors if "Content Security Policy" in line or "Uncaught" in line], errors
