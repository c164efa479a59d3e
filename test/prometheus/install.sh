#!/bin/sh
# Installs Prometheus (Debian's package) when no prometheus binary is on
# PATH or in $PROMETHEUS. The analysis tests start it on loopback; .ci/run and
# `make test-analysis` call this first. Needs root (or sudo) for apt-get.
set -eu
if [ -n "${PROMETHEUS:-}" ] && [ -x "$PROMETHEUS" ]; then exit 0; fi
if command -v prometheus >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Only the binary is wanted: no service is started (policy-rc.d is honoured
# by the postinst; --no-install-recommends keeps node-exporter & co out).
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v prometheus
