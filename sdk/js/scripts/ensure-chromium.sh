#!/usr/bin/env bash
# Installs Debian's chromium (used headless by `npm run test:browser` through playwright-core)
# when /usr/bin/chromium is missing. Never downloads a browser build of its own:
# `npx playwright install` cannot work on the project's machines.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "ensure-chromium: $CHROMIUM missing, installing Debian's chromium" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version >&2 2>/dev/null || true
