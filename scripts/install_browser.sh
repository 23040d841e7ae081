#!/bin/sh
# Install Debian's chromium for the browser test of the HTML report
# (tests/integration/test_report_browser.py), when it is missing and we are root.
#
# Why a system package: the test drives Chromium over the DevTools protocol with the
# standard library only, and the project never downloads browsers at run time. Where
# no browser can be installed (not root, no apt-get, no network) this script says so
# and exits 0: the browser test then skips with that reason. Set
# KLANTFOCUS_REQUIRE_BROWSER=1 to make a failed install an error instead (CI).
set -u

say() { echo "install_browser: $*" >&2; }

fail_or_skip() {
    say "$1"
    if [ "${KLANTFOCUS_REQUIRE_BROWSER:-0}" = "1" ]; then
        exit 1
    fi
    say "the browser test will be skipped"
    exit 0
}

for candidate in "${KLANTFOCUS_CHROMIUM:-}" chromium chromium-browser google-chrome; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
        say "found $(command -v "$candidate")"
        exit 0
    fi
done

if [ "$(id -u)" != "0" ]; then
    fail_or_skip "no chromium found and not root: install Debian's 'chromium' package yourself"
fi
if ! command -v apt-get >/dev/null 2>&1; then
    fail_or_skip "no chromium found and no apt-get on this machine"
fi

say "installing Debian's chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >/dev/null 2>&1; then
    fail_or_skip "apt-get update failed (no network?)"
fi
if ! apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1; then
    fail_or_skip "apt-get install chromium failed"
fi
if ! command -v chromium >/dev/null 2>&1; then
    fail_or_skip "chromium was installed but is not on PATH"
fi
say "installed $(command -v chromium)"
