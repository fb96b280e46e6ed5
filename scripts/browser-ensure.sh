#!/usr/bin/env bash
# Makes Debian's chromium available for the browser tests (Web UI, preference page). Never downloads a browser
# bundle: playwright-core drives the system package at /usr/bin/chromium.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null; then
  echo "chromium is missing and this user cannot install it: run 'apt-get install -y chromium' as root" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
echo "Installing Debian's chromium for the browser tests (first run only)..."
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
/usr/bin/chromium --version
