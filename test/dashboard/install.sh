#!/bin/sh
# Installs Chromium (Debian's package) when no chromium binary is at
# /usr/bin/chromium or in $CHROMIUM. The dashboard's browser test drives it
# headless through the DevTools protocol; `make test-deps` and
# `make dashboard-screenshot` call this first. Needs root (or sudo) for apt-get.
set -eu
if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then exit 0; fi
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Only the browser: --no-install-recommends keeps fonts and drivers that the
# headless test does not need out; DejaVu gives the screenshot its text.
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
