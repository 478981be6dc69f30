"""Signals users act on: why a job is not running or why it failed, what it used and what it cost.

Computed from AWS-shaped data only (DescribeJobs, DescribeJobQueues, DescribeComputeEnvironments,
GetJobQueueSnapshot, the runner's usage.json, the last log lines), so the answers are the same on AWS and locally.
"""
