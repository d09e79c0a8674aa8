#!/usr/bin/env bash
# What the tests need beyond npm, installed on a fresh machine: Debian's `age`
# (age-keygen too), for the interoperability tests of !encrypted values, and
# util-linux `script` (Debian's bsdutils), the pseudo-terminal Claude Code
# 2.1.0's `doctor` needs (test/claude-verdict.test.ts), and Debian's
# `postgresql` (binaries under /usr/lib/postgresql/<version>/bin), for the
# controller store's tests on a throwaway cluster (test/support/postgres.ts).
# Without root or apt, it says what is missing; the tests that need a
# component then fail in CI (CI=true) and skip with the reason elsewhere.
set -euo pipefail
need=()
command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 || need+=(age)
command -v script >/dev/null 2>&1 || need+=(bsdutils)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) || echo "test setup: could not install ${need[*]}" >&2
else
  echo "test setup: missing ${need[*]} (Debian: sudo apt-get install -y ${need[*]})" >&2
fi
