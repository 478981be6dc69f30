#!/usr/bin/env bash
# Make a Docker engine available: reuse a running one, else install (Debian, as root) and start dockerd.
#
# The engine is started without a bridge network: every container and build uses host networking,
# so all traffic stays on 127.0.0.1. Idempotent: a second run with a working engine does nothing.
#
# Environment:
#   BATCHCTL_HOME                 state directory (default: $HOME/.batchctl); dockerd.log is written there
#   BATCHCTL_DOCKER_WAIT_SECONDS  how long to wait for the engine to answer (default: 30)
set -euo pipefail

readonly STATE_DIR="${BATCHCTL_HOME:-$HOME/.batchctl}"
readonly LOG_FILE="$STATE_DIR/dockerd.log"
readonly WAIT_SECONDS="${BATCHCTL_DOCKER_WAIT_SECONDS:-30}"

say() { echo "setup-docker: $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

engine_answers() { docker info >/dev/null 2>&1; }

dockerd_running() {
    if command -v pgrep >/dev/null 2>&1; then
        pgrep -x dockerd >/dev/null 2>&1
    else
        pidof dockerd >/dev/null 2>&1
    fi
}

install_engine() {
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "dockerd is not installed. Install Docker Engine (Debian/Ubuntu as root: 'apt-get install -y docker.io'; \
elsewhere: https://docs.docker.com/engine/install/), then run this script again."
    fi
    say "installing docker.io with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
}

start_engine() {
    if [[ $(id -u) -ne 0 ]]; then
        die "the Docker engine is not running and starting dockerd needs root; start it (e.g. 'sudo $0') and retry."
    fi
    mkdir -p "$STATE_DIR"
    say "starting dockerd without a bridge network (log: $LOG_FILE)"
    # setsid + nohup: the daemon outlives this script and the shell that ran it.
    setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false >>"$LOG_FILE" 2>&1 </dev/null &
    local pid=$!
    local waited=0
    until engine_answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$LOG_FILE" >&2 || true
            die "dockerd exited during start-up; see $LOG_FILE"
        fi
        if ((waited >= WAIT_SECONDS)); then
            tail -n 20 "$LOG_FILE" >&2 || true
            die "dockerd (pid $pid) did not answer within ${WAIT_SECONDS}s; see $LOG_FILE"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "dockerd is up (pid $pid, ${waited}s)"
}

main() {
    if engine_answers; then
        say "Docker engine already running"
        return 0
    fi
    command -v dockerd >/dev/null 2>&1 || install_engine
    command -v docker >/dev/null 2>&1 || die "the docker client is missing although dockerd is installed"
    # A socket that exists but does not answer may belong to a daemon that is still starting.
    if dockerd_running; then
        say "dockerd is running but does not answer yet; waiting"
        local waited=0
        until engine_answers; do
            ((waited >= WAIT_SECONDS)) && die "dockerd is running but did not answer within ${WAIT_SECONDS}s"
            sleep 1
            waited=$((waited + 1))
        done
        say "Docker engine answers"
        return 0
    fi
    start_engine
}

main "$@"
