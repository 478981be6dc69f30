"""The cost formula with figures computed by hand from the price table."""

from __future__ import annotations

import pytest

from batchctl.insight import prices, usage


def test_on_demand_prices_scale_with_size_and_region() -> None:
    assert prices.on_demand_hourly("m6i.large", "us-east-1") == pytest.approx(0.096)
    assert prices.on_demand_hourly("m6i.2xlarge", "us-east-1") == pytest.approx(0.384)  # 4 x 0.096
    assert prices.on_demand_hourly("m6i.large", "eu-west-1") == pytest.approx(0.096 * 1.115)  # 0.10704
    assert prices.on_demand_hourly("g5.xlarge", "us-east-1") == pytest.approx(1.006)
    assert prices.on_demand_hourly("m6i.large", "mars-1") is None
    assert prices.on_demand_hourly("x2iedn.xlarge", "us-east-1") is None


def test_a_spot_job_pays_its_vcpu_share_of_the_smallest_type_it_fits() -> None:
    # 1 vCPU, 2048 MiB on c6i/m6i: c6i.large (2 vCPUs, 4096 MiB: 4096 * 7985/8192 = 3992 registered, less 32 = 3960
    # usable) is the cheapest fit at $0.085/h.
    # Share: max(1/2, 2048/3960) = 0.51717; Spot: 0.085 * 0.35 = 0.02975 $/h; one hour: 0.02975 * 0.51717 = 0.015386.
    estimate = prices.job_cost("SPOT", 1, 2048, 3600, ("c6i", "m6i"), "us-east-1")
    assert estimate is not None
    assert estimate.usd == pytest.approx(0.015386, abs=1e-6)
    assert estimate.basis.startswith("c6i.large SPOT")


def test_a_memory_heavy_job_pays_its_memory_share() -> None:
    # 2 vCPUs, 12000 MiB on m6i: m6i.xlarge (4 vCPUs, 16384 MiB -> 15938 usable) at $0.192/h, on-demand.
    # Share: max(2/4, 12000/15938) = 0.75292; 30 minutes: 0.192 * 0.5 * 0.75292 = 0.072280.
    estimate = prices.job_cost("EC2", 2, 12000, 1800, ("m6i",), "us-east-1")
    assert estimate is not None
    assert estimate.usd == pytest.approx(0.192 * 0.5 * 12000 / 15938, rel=1e-6)


def test_fargate_bills_vcpu_and_gb_hours_with_a_minute_minimum() -> None:
    # 0.5 vCPU, 1024 MiB for 2 hours: (0.5 * 0.04048 + 1 * 0.004445) * 2 = 0.04937.
    estimate = prices.job_cost("FARGATE", 0.5, 1024, 7200, (), "us-east-1")
    assert estimate is not None and estimate.usd == pytest.approx(0.04937)
    # 10 seconds bill as 60; Fargate Spot at 30%: (1 * 0.04048 + 2 * 0.004445) * 60/3600 * 0.3 = 0.00024685.
    spot = prices.job_cost("FARGATE_SPOT", 1, 2048, 10, (), "us-east-1")
    assert spot is not None and spot.usd == pytest.approx(0.00024685)


def _job(peak: float, cost: float) -> usage.JobUsage:
    return usage.JobUsage("id", "n", "demo-work", "SUCCEEDED", 1, 2048, 100, 100, 40, peak, cost, "basis")


def test_the_definition_summary_takes_the_p95_peak_plus_headroom() -> None:
    # 20 peaks 100..2000 MiB: nearest-rank p95 is the 19th, 1900; plus a quarter: 2375; on the 256 grid: 2560.
    jobs = [_job(100.0 * n, 0.01) for n in range(1, 21)]
    report = usage.summarize(jobs, {}, "us-east-1")
    (definition,) = report.definitions
    assert definition.p95_peak_mib == 1900
    assert definition.suggested_memory_mib == 2560
    assert (definition.requested_vcpu_seconds, definition.used_cpu_seconds) == (2000, 800)
    assert report.total_cost_usd == pytest.approx(0.20)
    assert "estimates" in report.note and prices.PRICE_DATE in report.note


def test_a_suggestion_packs_onto_the_allowed_type() -> None:
    # 2375 MiB on m6i.large (7953 usable): 7953 // 3 = 2651 is within a fifth above 2375, and packs 3 jobs.
    assert (
        usage.summarize([_job(1900, 0)], {"demo-work": ("m6i.large",)}, "us-east-1").definitions[0].suggested_memory_mib
        == 2651
    )
