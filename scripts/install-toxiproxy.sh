#!/usr/bin/env bash
# Builds Toxiproxy's server (github.com/Shopify/toxiproxy) into .tools/toxiproxy/bin/toxiproxy-server. The chaos
# suite (`npm run chaos`) runs it between the Lifeboat worker and the sample estate to inject network faults.
# Skips when that version is already there; a first build takes about 35 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${TOXIPROXY_VERSION:-v2.5.0}
target=.tools/toxiproxy
if [[ -x $target/bin/toxiproxy-server && -f $target/VERSION ]] && [[ $(cat $target/VERSION) == "$version" ]]; then
  echo "Toxiproxy $version already in $target"
  exit 0
fi
if command -v go >/dev/null; then go=go; elif [[ -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; else
  echo "Go is needed to build github.com/Shopify/toxiproxy/v2@$version (or put its server at $target/bin/toxiproxy-server)" >&2
  exit 1
fi
mkdir -p "$target/bin"
started=$(date +%s)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# The module's main package is cmd/server, so Go names the binary `server`; it is renamed to say what it is. Its
# version is stamped the way Toxiproxy's release builds do, so GET /version says which one runs (else "git").
module=github.com/Shopify/toxiproxy/v2
GOBIN="$build" GOTOOLCHAIN=local "$go" install -ldflags "-X $module.Version=${version#v}" "$module/cmd/server@$version"
mv "$build/server" "$target/bin/toxiproxy-server"
echo "$version" >"$target/VERSION"
echo "Built Toxiproxy $version into $target/bin in $(($(date +%s) - started)) s"
