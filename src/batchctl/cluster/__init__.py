"""Cluster use cases: validate, synth, diff, deploy, status, destroy. Called by the CLI and the Python API."""
