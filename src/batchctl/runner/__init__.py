"""The job runner `batchctl-run`: the entry point of every job container.

It expands `env:NAME` and `${NAME}` in the command's arguments, stages S3 inputs into the workspace, runs the
command in its own process group, forwards stop signals to it, uploads the workspace outputs and a resource-usage
report to S3 (also when the command fails) and exits with the command's exit code.

It runs inside job images that have only Debian's python3 and python3-boto3, so it imports nothing but the
standard library and boto3, and nothing else from batchctl. The contract with the rest of batchctl (variable names,
output prefix, index map) is in `contract`.
"""
