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
