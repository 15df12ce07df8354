#!/usr/bin/env bash
# Builds a real Temporal server (go.temporal.io/server) and its SQL schema tool from the same module into
# .tools/temporal-server, and copies that module's PostgreSQL schema folders next to them. `npm run test:cluster`
# runs the end-to-end scenarios on it. Skips what is already there; a first build takes minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
# v1.32.2 needs Go 1.26.10; v1.32.1 builds with the Go 1.26.8 these machines have.
version=${TEMPORAL_SERVER_VERSION:-v1.32.1}
target=.tools/temporal-server
if [[ -x $target/bin/temporal-server && -x $target/bin/temporal-sql-tool && -f $target/schema/temporal/schema.sql && -f $target/VERSION ]] \
  && [[ $(cat $target/VERSION) == "$version" ]]; then
  echo "Temporal server $version already in $target"
  exit 0
fi
if command -v go >/dev/null; then go=go; elif [[ -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; else
  echo "Go is needed to build go.temporal.io/server@$version (or put its binaries into $target/bin)" >&2
  exit 1
fi
module=go.temporal.io/server
mkdir -p "$target/bin" "$target/schema"
started=$(date +%s)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
GOBIN="$build" GOTOOLCHAIN=local "$go" install "$module/cmd/server@$version" "$module/cmd/tools/sql@$version"
mv "$build/server" "$target/bin/temporal-server"
mv "$build/sql" "$target/bin/temporal-sql-tool"
src=$("$go" env GOMODCACHE)/$module@$version/schema/postgresql/v12
for part in temporal visibility; do
  rm -rf "${target:?}/schema/$part"
  cp -R "$src/$part" "$target/schema/$part"
  chmod -R u+w,a+rX "$target/schema/$part"
done
echo "$version" >"$target/VERSION"
echo "Built Temporal server $version into $target/bin in $(($(date +%s) - started)) s"
