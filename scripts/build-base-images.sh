#!/usr/bin/env bash
# Build the images every job image starts from.
#
#   debian:bookworm-slim   pulled when a container registry answers; otherwise made offline from Debian's own
#                          packages with debootstrap and `docker import`, so Dockerfiles saying
#                          `FROM debian:bookworm-slim` build unchanged on machines without a registry.
#   batchctl/base:latest   images/base/Dockerfile: Debian python3 + python3-boto3 + the job runner `batchctl-run`.
#                          Skipped when the image's source-hash label matches the Dockerfile, the runner sources
#                          and the OS image id, so a second run takes about a second.
#
# Usage: build-base-images.sh [all|os|base]     (default: all)
#
# Environment:
#   BATCHCTL_HOME            state directory (default: $HOME/.batchctl): lock file and logs
#   BATCHCTL_OS_IMAGE        OS image tag (default: debian:bookworm-slim)
#   BATCHCTL_BASE_IMAGE      base image tag (default: batchctl/base:latest)
#   BATCHCTL_DEBIAN_MIRROR   mirror for debootstrap (default: debootstrap's own default)
#   BATCHCTL_FORCE_REBUILD   1: rebuild the base image even when its source hash matches
#
# Runs are serialised with flock: two concurrent runs never debootstrap or build at the same time.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly OS_IMAGE="${BATCHCTL_OS_IMAGE:-debian:bookworm-slim}"
readonly BASE_IMAGE_TAG="${BATCHCTL_BASE_IMAGE:-batchctl/base:latest}"
readonly DEBIAN_SUITE="bookworm"
readonly DEBIAN_MIRROR="${BATCHCTL_DEBIAN_MIRROR:-}"
readonly STATE_DIR="${BATCHCTL_HOME:-$HOME/.batchctl}"
readonly LOCK_FILE="$STATE_DIR/build-base-images.lock"
readonly LOCK_WAIT_SECONDS=900
readonly HASH_LABEL="org.batchctl.source-hash"
readonly BASE_DIR="$REPO_ROOT/images/base"
readonly RUNNER_DIR="$REPO_ROOT/src/batchctl/runner"

say() { echo "build-base-images: $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# --- OS image -----------------------------------------------------------------------------------------------

registry_reachable() {
    # A registry answers /v2/ with 200 or 401 (authentication required); anything else means no pulls here.
    command -v curl >/dev/null 2>&1 || return 1
    local code
    code="$(curl -sS -o /dev/null -m 5 -w '%{http_code}' https://registry-1.docker.io/v2/ 2>/dev/null)" || return 1
    [[ "$code" == 200 || "$code" == 401 ]]
}

ensure_debootstrap() {
    command -v debootstrap >/dev/null 2>&1 && return 0
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "debootstrap is needed to make $OS_IMAGE offline; install it (Debian: 'apt-get install -y debootstrap')"
    fi
    say "installing debootstrap with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

release_rootfs() {
    local work="$1"
    # debootstrap mounts /proc and /sys inside the target; a failed run can leave them mounted.
    local mount_point
    while read -r mount_point; do
        umount -l "$mount_point" 2>/dev/null || true
    done < <(awk -v prefix="$work/" 'index($2, prefix) == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf --one-file-system "$work"
}

build_os_image_offline() {
    [[ $(id -u) -eq 0 ]] || die "making $OS_IMAGE offline with debootstrap needs root"
    ensure_debootstrap
    mkdir -p "$STATE_DIR"
    local work log="$STATE_DIR/debootstrap.log"
    work="$(mktemp -d "${TMPDIR:-/tmp}/batchctl-rootfs.XXXXXX")"
    # shellcheck disable=SC2064  # expand $work now: the trap must clean this run's directory
    trap "release_rootfs '$work'" EXIT
    say "making $OS_IMAGE offline with debootstrap (about a minute; log: $log)"
    local mirror_args=()
    [[ -n "$DEBIAN_MIRROR" ]] && mirror_args=("$DEBIAN_MIRROR")
    if ! debootstrap --variant=minbase --include=python3,ca-certificates \
        "$DEBIAN_SUITE" "$work/rootfs" "${mirror_args[@]}" >"$log" 2>&1; then
        tail -n 20 "$log" >&2 || true
        die "debootstrap failed; see $log"
    fi
    # Downloaded packages and package lists are not part of an image: Dockerfiles run apt-get update first.
    rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
    tar --numeric-owner -C "$work/rootfs" -c . |
        docker import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' \
            - "$OS_IMAGE" >/dev/null
    release_rootfs "$work"
    trap - EXIT
    say "imported $OS_IMAGE"
}

ensure_os_image() {
    if image_exists "$OS_IMAGE"; then
        say "$OS_IMAGE present"
        return 0
    fi
    if registry_reachable; then
        say "pulling $OS_IMAGE"
        if timeout 300 docker pull "$OS_IMAGE" >/dev/null; then
            return 0
        fi
        say "pull failed; making $OS_IMAGE offline instead"
    else
        say "no container registry reachable"
    fi
    build_os_image_offline
}

# --- base image ---------------------------------------------------------------------------------------------

runner_sources() { (cd "$RUNNER_DIR" && find . -type f -name '*.py' -not -path '*/__pycache__/*' | LC_ALL=C sort); }

base_files() { (cd "$BASE_DIR" && find . -type f -not -name '*.md' | LC_ALL=C sort); }

source_hash() {
    # Everything that ends up in the image: the OS image it starts from, its build files, the runner sources.
    {
        docker image inspect -f '{{.Id}}' "$OS_IMAGE"
        local file
        while read -r file; do
            echo "base/$file"
            cat "$BASE_DIR/$file"
        done < <(base_files)
        while read -r file; do
            echo "runner/$file"
            cat "$RUNNER_DIR/$file"
        done < <(runner_sources)
    } | sha256sum | cut -d' ' -f1
}

recorded_hash() { docker image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$BASE_IMAGE_TAG" 2>/dev/null || true; }

remove_if_untagged() {
    # The image a rebuild replaced: removed unless something still uses or names it.
    local id="$1"
    [[ -n "$id" ]] || return 0
    [[ "$(docker image inspect -f '{{len .RepoTags}}' "$id" 2>/dev/null || echo 1)" == 0 ]] || return 0
    docker rmi "$id" >/dev/null 2>&1 || true
}

assemble_context() {
    # The image needs only the runner, installed as package batchctl.runner under a minimal batchctl package.
    local context="$1" file
    while read -r file; do
        cp "$BASE_DIR/$file" "$context/$file"
    done < <(base_files)
    mkdir -p "$context/batchctl/runner"
    echo '"""batchctl inside a job image: only the job runner (batchctl.runner) is installed."""' \
        >"$context/batchctl/__init__.py"
    while read -r file; do
        mkdir -p "$(dirname "$context/batchctl/runner/$file")"
        cp "$RUNNER_DIR/$file" "$context/batchctl/runner/$file"
    done < <(runner_sources)
}

build_base_image() {
    image_exists "$OS_IMAGE" || die "$OS_IMAGE is missing; run '$0 os' first"
    local hash
    hash="$(source_hash)"
    if [[ "${BATCHCTL_FORCE_REBUILD:-0}" != 1 && "$(recorded_hash)" == "$hash" ]]; then
        say "$BASE_IMAGE_TAG is up to date (source hash ${hash:0:12})"
        return 0
    fi
    mkdir -p "$STATE_DIR"
    local context log="$STATE_DIR/build-base-image.log"
    context="$(mktemp -d "${TMPDIR:-/tmp}/batchctl-base-context.XXXXXX")"
    # shellcheck disable=SC2064  # expand $context now: the trap must clean this run's directory
    trap "rm -rf '$context'" EXIT
    assemble_context "$context"
    local previous_id
    previous_id="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE_TAG" 2>/dev/null || true)"
    say "building $BASE_IMAGE_TAG from $OS_IMAGE (log: $log)"
    if ! docker build --network host \
        --build-arg "OS_IMAGE=$OS_IMAGE" \
        --label "$HASH_LABEL=$hash" \
        -t "$BASE_IMAGE_TAG" "$context" >"$log" 2>&1; then
        tail -n 30 "$log" >&2 || true
        die "docker build of $BASE_IMAGE_TAG failed; see $log"
    fi
    rm -rf "$context"
    trap - EXIT
    remove_if_untagged "$previous_id"
    say "built $BASE_IMAGE_TAG (source hash ${hash:0:12})"
}

# --- main ---------------------------------------------------------------------------------------------------

main() {
    local target="${1:-all}"
    case "$target" in
        all | os | base) ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            return 0
            ;;
        *) die "unknown target '$target' (expected: all, os, base)" ;;
    esac
    docker info >/dev/null 2>&1 || die "the Docker engine does not answer; run scripts/setup-docker.sh first"
    mkdir -p "$STATE_DIR"
    exec 9>"$LOCK_FILE"
    if ! flock -n 9; then
        say "another build holds $LOCK_FILE; waiting (up to ${LOCK_WAIT_SECONDS}s)"
        flock -w "$LOCK_WAIT_SECONDS" 9 || die "timed out waiting for $LOCK_FILE"
    fi
    # Checked after taking the lock: a concurrent run may just have made the images.
    case "$target" in
        os) ensure_os_image ;;
        base) build_base_image ;;
        all)
            ensure_os_image
            build_base_image
            ;;
    esac
}

main "$@"
