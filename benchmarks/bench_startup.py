"""Start-up cost of the CLI: job commands must not pay for aws_cdk.

Prints the median wall time of a few commands (each in a fresh interpreter) and their ratio to importing aws_cdk
alone, all measured in this one run. Usage: python benchmarks/bench_startup.py [repeats]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "batchctl --help": [sys.executable, "-m", "batchctl", "--help"],
    "batchctl jobs --help": [sys.executable, "-m", "batchctl", "jobs", "--help"],
    "batchctl submit --help": [sys.executable, "-m", "batchctl", "submit", "--help"],
    "import aws_cdk": [sys.executable, "-c", "import aws_cdk"],
}


def median_seconds(command: list[str], repeats: int) -> float:
    env = {**os.environ, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    results = {name: median_seconds(command, repeats) for name, command in COMMANDS.items()}
    cdk = results["import aws_cdk"]
    print(f"median of {repeats} runs each")
    print(f"{'command':<26} {'seconds':>8} {'x import aws_cdk':>17}")
    for name, seconds in results.items():
        print(f"{name:<26} {seconds:>8.3f} {seconds / cdk:>17.2f}")


if __name__ == "__main__":
    main()
