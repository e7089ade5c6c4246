#!/usr/bin/env bash
# System packages some tests need, installed with apt-get when missing (root on Debian/Ubuntu):
#   chromium    the real-browser widget test (Playwright drives the system's Chromium)
#   bubblewrap  the grader's sandbox for student code
#   configurable-http-proxy  JupyterHub's proxy, from npm (nodejs and npm come from apt), for the
#               JupyterHub end-to-end test
# Usage: bash scripts/system-packages.sh [package ...]   (default: all of them)
# Elsewhere it says what is missing and carries on: the tests concerned skip themselves with
# that reason, and the grader reports which protections are off.
set -uo pipefail

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(chromium bubblewrap configurable-http-proxy)
declare -A binary=([chromium]=chromium [bubblewrap]=bwrap)
CHP_VERSION=5  # npm's configurable-http-proxy major version (JupyterHub's own proxy)

missing=()
for pkg in "${wanted[@]}"; do
    command -v "${binary[$pkg]:-$pkg}" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# npm packages are not apt packages: get npm from apt, then the proxy from npm
npm_wanted=()
if [[ " ${missing[*]} " == *" configurable-http-proxy "* ]]; then
    npm_wanted=(configurable-http-proxy)
    missing=("${missing[@]/configurable-http-proxy}")
    command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
fi
read -r -a missing <<<"${missing[*]}"

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-packages: missing ${missing[*]} ${npm_wanted[*]}; install them with your package manager (needs root)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
    echo "system-packages: installing ${missing[*]}"
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/system-packages.log 2>&1; then
        apt-get update >>/tmp/system-packages.log 2>&1
        apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/system-packages.log 2>&1 \
            || { echo "system-packages: apt-get failed, see /tmp/system-packages.log" >&2; tail -5 /tmp/system-packages.log >&2; }
    fi
fi
if [ ${#npm_wanted[@]} -gt 0 ] && command -v npm >/dev/null 2>&1; then
    echo "system-packages: installing configurable-http-proxy@$CHP_VERSION with npm"
    npm install --global --no-audit --no-fund "configurable-http-proxy@$CHP_VERSION" >>/tmp/system-packages.log 2>&1 \
        || { echo "system-packages: npm failed, see /tmp/system-packages.log" >&2; tail -5 /tmp/system-packages.log >&2; }
fi
exit 0
