#!/usr/bin/env bash
# Make a real browser available for the dashboard's browser tests: Debian's `chromium` and `chromium-driver`
# (/usr/bin/chromium, /usr/bin/chromedriver), which Selenium drives headless. Browser downloads by a test library's
# own installer are not used: the machine may have no internet, and the system browser is what users have.
#
# Idempotent: a second run with both installed does nothing. A machine where they cannot be installed fails (exit 1)
# with what to do: the browser tests then cannot run, and CI must not skip them.
set -euo pipefail

say() { echo "setup-browser: $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

installed() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }

main() {
    if installed; then
        say "chromium and chromedriver already installed ($(chromedriver --version | cut -d' ' -f1-2))"
        return 0
    fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "chromium and chromedriver are not installed. Install them (Debian/Ubuntu as root: \
'apt-get install -y chromium chromium-driver'; elsewhere: a Chromium and the ChromeDriver of the same version on PATH \
as chromium and chromedriver), then run this script again."
    fi
    say "installing chromium and chromium-driver with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver \
        >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    fi
    installed || die "chromium-driver was installed but chromium or chromedriver is not on PATH"
    say "chromium and chromedriver installed ($(chromedriver --version | cut -d' ' -f1-2))"
}

main "$@"
