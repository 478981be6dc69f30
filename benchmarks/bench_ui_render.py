"""The dashboard's two heaviest pages in headless Chromium: the jobs table with N jobs, an array grid of N children.

    python benchmarks/bench_ui_render.py [N] [RUNS]      (default: 10000 3)

Starts its own emulator (temporary BATCHCTL_HOME, free port) with --no-containers (the API path only), deploys a bare
cluster, submits N jobs and one array of N children, serves the dashboard on 127.0.0.1 and loads each page RUNS times
in one browser. For each load it prints, from the browser's Navigation Timing: the server's time to the first byte
(the SDK reading AWS and rendering the HTML) and the browser's time from the first byte to the page painted (two
animation frames after the load event). The floor is the same HTML saved as a static file (same stylesheet, its
scripts and live streams inert): what any page with those rows costs the browser. Medians, side by side; no asserts.
Reading each page once for that copy is also the first listing, which describes every job (`batchctl ui` makes it
when it starts); the measured loads then pay what a user's loads and live refreshes pay.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from tests.bare_cluster import bare_cluster
from tests.browser import chromium, serve_dashboard
from tests.emulator_fixtures import batchctl_home, free_port

from batchctl.api import Batchctl
from batchctl.local import process
from batchctl.local.faults import FaultSettings

JOBS = """jobs:
{% for i in range(count | int) %}
  - {name: listed-{{ i }}, queue: cpu, definition: helloworld}
{% endfor %}
  - {name: wide, queue: cpu, definition: helloworld, array_size: {{ count }}}
"""
# Resolves once the page has been painted after its load event (two animation frames).
PAINTED = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  done({server: nav.responseStart - nav.requestStart, painted: performance.now() - nav.responseStart,
        cells: document.querySelectorAll("#jobs-body tr, #array-grid i").length});
}));
"""


def load(driver: Any, url: str) -> dict[str, float]:
    driver.get(url)
    timing: dict[str, float] = driver.execute_async_script(PAINTED)
    return timing


def static_copy(html: str, directory: Path, name: str) -> str:
    """The page as a file beside a copy of the dashboard's static files (relative links)."""
    static = directory / "static"
    if not static.exists():
        shutil.copytree(str(resources.files("batchctl.ui") / "static"), static)
    page = directory / f"{name}.html"
    page.write_text(html.replace('"/static/', '"static/'), encoding="utf-8")
    return page.as_uri()


def median(values: list[float]) -> float:
    return statistics.median(values)


def main(count: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as directory, batchctl_home(Path(directory)):
        info = process.start(port=free_port(), timeout=60, faults=FaultSettings(no_containers=True))
        try:
            config = bare_cluster(info.endpoint, Path(directory))
            sdk = Batchctl.from_config(config, endpoint_url=info.endpoint, user="bench")
            jobs = Path(directory) / "jobs.yaml"
            jobs.write_text(JOBS, encoding="utf-8")
            started = time.perf_counter()
            submitted = sdk.submit(jobs, {"count": str(count)}, rate=1000)
            print(f"seeded {count} jobs and an array of {count} children in {time.perf_counter() - started:.0f} s")
            array_id = next(job.job_id for job in submitted.jobs if job.name == "wide")
            pages = {"jobs page": "/jobs", "array page": f"/jobs/{array_id}"}
            with serve_dashboard(sdk, command="batchctl", poll_seconds=3600) as served, chromium() as driver:
                driver.set_script_timeout(120)
                driver.get(served.url)  # the cookie
                floors = Path(directory) / "floor"
                floors.mkdir()
                results: dict[str, dict[str, list[float]]] = {}
                for label, path in pages.items():
                    html = served.client().get(path, timeout=300).text
                    floor_url = static_copy(html, floors, label.split()[0])
                    measured: dict[str, list[float]] = {"server": [], "painted": [], "floor": []}
                    cells = 0.0
                    for _ in range(runs):
                        timing = load(driver, served.origin + path)
                        measured["server"].append(timing["server"])
                        measured["painted"].append(timing["painted"])
                        cells = timing["cells"]
                        measured["floor"].append(load(driver, floor_url)["painted"])
                    results[label] = measured
                    print(f"{label}: {int(cells)} rows/cells")
        finally:
            process.stop()
    print(f"\nmedian of {runs} loads in headless Chromium, milliseconds")
    print(f"{'page':<12} {'server (TTFB)':>14} {'browser paint':>14} {'floor paint':>12} {'paint/floor':>12}")
    for label, measured in results.items():
        painted, floor = median(measured["painted"]), median(measured["floor"])
        print(
            f"{label:<12} {median(measured['server']):>14.0f} {painted:>14.0f} {floor:>12.0f} {painted / floor:>11.1f}x"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
