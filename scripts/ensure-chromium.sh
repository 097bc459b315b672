#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests when it is missing and we are root (CI and a
# fresh dev machine). Never downloads a browser build of its own. Non-root without Chromium:
# the browser tests skip with a message (in CI they are required and fail instead).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
else
  echo "chromium is not installed and we are not root: browser tests will skip"
fi
