#!/usr/bin/env bash
# Makes sure Debian's headless Chromium and its chromedriver are installed (the survey page's browser test).
source "$(dirname "$0")/common.sh"

command -v chromium >/dev/null && command -v chromedriver >/dev/null && exit 0
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
  die "the browser test needs Debian's chromium and chromium-driver: run 'sudo apt-get install -y chromium chromium-driver'"
fi
say "installing chromium and chromium-driver (Debian packages, first run only)"
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } >"$LOG_DIR/browser-install.log" 2>&1 \
  || die "installing chromium failed; see $LOG_DIR/browser-install.log"
