#!/usr/bin/env bash
# `make demo`: the README flow on the local emulator. Safe to run again: every step is idempotent
# (the emulator and the stack are reused, or re-created after a restart; a second push finds its layers in the
# registry; each run submits a new set of jobs).
set -euo pipefail
batchctl=${1:-batchctl}
python="$(dirname "$batchctl")/python"
export BATCHCTL_LOCAL=1

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

banner "local emulator"
"$batchctl" local up --require-docker
[ -f batchctl.yaml ] || "$batchctl" init

banner "validate and deploy the demo cluster"
"$batchctl" validate
"$batchctl" deploy --yes

banner "build the helloworld image and push it to the emulator's registry (jobs pull it from there, as from ECR)"
"$batchctl" image build examples/helloworld --tag helloworld
"$batchctl" image push helloworld

banner "submit examples/helloworld/jobs.yaml"
submitted=$("$batchctl" -o json submit examples/helloworld/jobs.yaml greeting=hello)
# One line per job: id, array size (0 for a plain job), name.
jobs=$("$python" -c '
import json, sys
for job in json.load(sys.stdin)["jobs"]:
    print(job["job_id"], job.get("array_size") or 0, job["name"])
' <<<"$submitted")
while read -r id size name; do
  if [ "$size" -gt 0 ]; then echo "  $name  $id  (array of $size)"; else echo "  $name  $id"; fi
done <<<"$jobs"

banner "logs (each waits for its job to finish)"
while read -r id size name; do
  if [ "$size" -gt 0 ]; then
    for ((index = 0; index < size; index++)); do
      echo "--- $name [$index]"
      "$batchctl" logs "$id" --index "$index" -f
    done
  else
    echo "--- $name"
    "$batchctl" logs "$id" -f
  fi
done <<<"$jobs"

banner "outputs"
while read -r id size name; do
  "$batchctl" outputs "$id"
done <<<"$jobs"

banner "jobs of the last hour"
"$batchctl" jobs --all --since 1h
