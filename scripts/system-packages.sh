#!/usr/bin/env bash
# System packages some tests need, installed with apt-get when missing (root on Debian/Ubuntu):
#   chromium    the real-browser widget test (Playwright drives the system's Chromium)
#   bubblewrap  the grader's sandbox for student code
# Usage: bash scripts/system-packages.sh [package ...]   (default: all of them)
# Elsewhere it says what is missing and carries on: the tests concerned skip themselves with
# that reason, and the grader reports which protections are off.
set -uo pipefail

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(chromium bubblewrap)
declare -A binary=([chromium]=chromium [bubblewrap]=bwrap)

missing=()
for pkg in "${wanted[@]}"; do
    command -v "${binary[$pkg]:-$pkg}" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-packages: missing ${missing[*]}; install them with your package manager (needs root)" >&2
    exit 0
fi
echo "system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/system-packages.log 2>&1; then
    apt-get update >>/tmp/system-packages.log 2>&1
    apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/system-packages.log 2>&1 \
        || { echo "system-packages: apt-get failed, see /tmp/system-packages.log" >&2; tail -5 /tmp/system-packages.log >&2; }
fi
exit 0
