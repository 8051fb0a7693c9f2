#!/usr/bin/env bash
# What the browser tests need: Debian's headless Chromium and its chromedriver, and axe-core (the
# accessibility checker the console's browser test runs in each page), installed from deploy/browser's lock.
source "$(dirname "$0")/common.sh"

install_chromium() {
  command -v chromium >/dev/null && command -v chromedriver >/dev/null && return
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    die "the browser tests need Debian's chromium and chromium-driver: run 'sudo apt-get install -y chromium chromium-driver'"
  fi
  say "installing chromium and chromium-driver (Debian packages, first run only)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } >"$LOG_DIR/browser-install.log" 2>&1 \
    || die "installing chromium failed; see $LOG_DIR/browser-install.log"
}

install_axe() {
  local dir=$LOCAL_DIR/npm
  cmp -s "$ROOT/deploy/browser/package-lock.json" "$dir/package-lock.json" && [[ -f $dir/node_modules/axe-core/axe.min.js ]] && return
  command -v npm >/dev/null || die "the console's accessibility test needs npm (Node.js) for axe-core"
  say "installing axe-core from npm (first run only)"
  mkdir -p "$dir"
  cp "$ROOT/deploy/browser/package.json" "$ROOT/deploy/browser/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund) >"$LOG_DIR/axe-install.log" 2>&1 \
    || die "installing axe-core failed; see $LOG_DIR/axe-install.log"
}

install_chromium
install_axe
