"""The tags batchctl puts on every job it submits: who submitted it, its name in the job file, its submission.

Read back by listing, `show` and resubmission, written by planning (jobs.requests).
"""

SUBMITTER_TAG = "submitter"
JOB_TAG = "batchctl:job"
SUBMISSION_TAG = "batchctl:submission"
