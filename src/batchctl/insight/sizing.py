"""Memory sizes people can ask for: above a measured peak, with headroom, rounded to sizes that pack well.

ECS places a job on an instance by its memory reservation (hard limit on AWS Batch) against what the instance
registers less the agent's reserve (batchctl.config.instance_types). Sizes that are whole fractions of the usable
memory of the allowed types pack best; a 256 MiB grid below 4 GiB and a 512 MiB grid above is a fair stand-in
when the types are not known: https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html
"""

from __future__ import annotations

import math

from batchctl.config import instance_types

HEADROOM = 1.25  # a suggestion leaves a quarter above the peak
OOM_GROWTH = 1.5  # after an out-of-memory kill the peak is the limit itself: ask for half as much again


def round_up(mib: float) -> int:
    step = 256 if mib <= 4096 else 512
    return int(math.ceil(mib / step) * step)


def packed(mib: float, allowed_types: tuple[str, ...] = ()) -> int:
    """The smallest size >= mib that splits the usable memory of an allowed type into whole jobs (within a fifth
    above mib), else the grid size."""
    shares = [
        size.job_memory_mib // jobs
        for size in (instance_types.largest(name) for name in allowed_types)
        if size is not None
        for jobs in range(1, 65)
    ]
    fitting = [share for share in shares if mib <= share <= mib * 1.2]
    return min(fitting) if fitting else round_up(mib)


def after_peak(peak_mib: float, requested_mib: int | None) -> int:
    """A memory size above the peak with headroom (never below what was requested)."""
    return max(round_up(peak_mib * HEADROOM), requested_mib or 0)


def after_out_of_memory(peak_mib: float, requested_mib: int | None) -> int:
    """After an out-of-memory kill the job needed more than its limit: half as much again, above the peak."""
    base = max(peak_mib, float(requested_mib or 0))
    return round_up(max(base * OOM_GROWTH, peak_mib * HEADROOM, base + 256))


def gib(mib: float) -> str:
    return f"{mib / 1024:.1f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"
