"""Job queues as AWS shows them: health reasons and the front of the queue (GetJobQueueSnapshot).

https://docs.aws.amazon.com/batch/latest/APIReference/API_GetJobQueueSnapshot.html: ``frontOfQueue.jobs`` lists the
first RUNNABLE jobs (up to 100) in the order they will be placed, each with ``earliestTimeAtPosition``, the time it
reached that position (the emulator: when it became RUNNABLE), and ``lastUpdatedAt``.
"""

from __future__ import annotations

import time
from typing import Any

from batchctl.local import scheduler
from batchctl.local.job_state import state_of

QUEUE_HEALTHY = "JobQueue Healthy"
ENVIRONMENT_HEALTHY = "ComputeEnvironment Healthy"
FRONT_OF_QUEUE_SIZE = 100


def _millis(moment: Any) -> int:
    return int(moment.timestamp() * 1000)


def front_of_queue(queue: Any, jobs: list[Any]) -> dict[str, Any]:
    by_id = {job.job_id: job for job in jobs}
    order = [by_id[job_id] for job_id in scheduler.placement_order(queue.backend) if job_id in by_id]
    front = [job for job in order if job.job_queue is queue and scheduler.waiting_for_capacity(job)]
    front = front[:FRONT_OF_QUEUE_SIZE]
    return {
        "jobs": [
            {
                "jobArn": job.arn,
                "earliestTimeAtPosition": _millis(state_of(job).runnable_since or job.job_created_at),
            }
            for job in front
        ],
        "lastUpdatedAt": int(time.time() * 1000),
    }
