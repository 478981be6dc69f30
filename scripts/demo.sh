#!/usr/bin/env bash
# `make demo`: the README flow on the local emulator. Safe to run again: every step is idempotent.
set -euo pipefail
batchctl=${1:-batchctl}
export BATCHCTL_LOCAL=1

"$batchctl" local up --require-docker
[ -f batchctl.yaml ] || "$batchctl" init
"$batchctl" validate
"$batchctl" deploy --yes
"$batchctl" status
