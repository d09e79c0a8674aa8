#!/bin/sh
# format-on-edit.sh: Claude Code PostToolUse hook (see base/config.yml).
# Claude Code passes the tool call as JSON on stdin; this formats the edited
# file with the project's own formatter when one is installed. It always
# exits 0: a missing formatter must never block an edit.
set -u

command -v jq >/dev/null 2>&1 || exit 0
file="$(jq -r '.tool_input.file_path // empty')"
[ -n "$file" ] && [ -f "$file" ] || exit 0

project="${CLAUDE_PROJECT_DIR:-$PWD}"
cd "$project" 2>/dev/null || exit 0

case "$file" in
  *.js|*.jsx|*.ts|*.tsx|*.mjs|*.cjs|*.json|*.css|*.scss|*.html|*.md|*.yml|*.yaml)
    if [ -x node_modules/.bin/prettier ]; then
      node_modules/.bin/prettier --write --log-level warn "$file" >&2 || true
    fi
    ;;
  *.go)
    if command -v gofmt >/dev/null 2>&1; then gofmt -w "$file" >&2 || true; fi
    ;;
  *.py)
    if command -v ruff >/dev/null 2>&1; then ruff format --quiet "$file" >&2 || true; fi
    ;;
  *.tf)
    if command -v terraform >/dev/null 2>&1; then terraform fmt "$file" >/dev/null 2>&1 || true; fi
    ;;
  *.sh)
    if command -v shfmt >/dev/null 2>&1; then shfmt -w "$file" >&2 || true; fi
    ;;
esac
exit 0
