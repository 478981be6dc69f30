#!/usr/bin/env bash
# Make a container registry available for the local emulator: Debian's `docker-registry` (the CNCF distribution
# registry). batchctl starts and stops it itself beside the emulator (127.0.0.1 only, storage under BATCHCTL_HOME),
# so nothing is started here; the package's systemd unit is not used.
#
# Idempotent: a second run with the registry installed does nothing. A machine where it cannot be installed fails
# (exit 1) with what to do: the local emulator then cannot serve ECR images, and CI must not skip that.
set -euo pipefail

say() { echo "setup-registry: $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

installed() { command -v docker-registry >/dev/null 2>&1; }

main() {
    if installed; then
        say "docker-registry already installed ($(command -v docker-registry))"
        return 0
    fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "docker-registry is not installed. Install it (Debian/Ubuntu as root: 'apt-get install -y docker-registry'; \
elsewhere: https://distribution.github.io/distribution/ and put its binary on PATH as docker-registry), then run \
this script again."
    fi
    say "installing docker-registry with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
    fi
    installed || die "docker-registry was installed but is not on PATH"
    say "docker-registry installed ($(command -v docker-registry))"
}

main "$@"
