#!/usr/bin/env bash
# What the benchmark needs beyond npm: yamllint (Debian), the peer of stage (b).
set -euo pipefail
if ! command -v yamllint >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq yamllint >/dev/null
  else
    echo "bench: yamllint is missing; install it (Debian: sudo apt-get install -y yamllint)" >&2
  fi
fi
# wrk (Debian): the load generator of bench/fleet.mjs (the controller's check-ins beside a bare node:http server).
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    echo "bench: wrk is missing; install it (Debian: sudo apt-get install -y wrk)" >&2
  fi
fi
