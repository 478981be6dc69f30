#!/usr/bin/env bash
# Install the tools that cannot share batchctl's virtualenv (idempotent, a quick no-op once done):
# checkov, whose pinned dependencies (boto3 among them) conflict with batchctl's, gets a virtualenv of its own.
# `batchctl validate` finds it through BATCHCTL_CHECKOV, or as <venv>-tools/bin/checkov next to its own virtualenv.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv-tools}
checkov_version=3.3.30

installed() {
  [ -x "$venv/bin/checkov" ] && compgen -G "$venv/lib/python3*/site-packages/checkov-$checkov_version.dist-info" >/dev/null
}

if installed; then
  exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "• creating virtualenv $venv (tools)"
  "$python" -m venv "$venv"
fi
echo "• installing checkov $checkov_version into $venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "checkov==$checkov_version"
if ! installed; then
  echo "setup: checkov $checkov_version is not in $venv after installing it" >&2
  exit 1
fi
echo "✓ tools ready: $venv/bin/checkov $checkov_version"
