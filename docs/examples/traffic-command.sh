#!/bin/sh
# A traffic provider for Lifeboat's `command` provider (docs/adding-a-provider.md), in sh and jq.
#
# Lifeboat runs it as `traffic-command.sh traffic <operation>` with the operation's arguments as one JSON object on
# stdin, and reads one JSON value from stdout. Exit 75 asks Lifeboat to retry; any other non-zero exit refuses, and the
# last lines of stderr become the message the operator sees.
#
# The "traffic system" here is a JSON file named by $TRAFFIC_STATE_FILE (list it in passEnv), for example:
#   {"active": "A", "regions": {"A": {"endpoint": "pool-a", "serving": "ready"}, "B": {"endpoint": "pool-b", "serving": "ready"}}}
# Replace the jq lines that read and write it with calls to your load balancer, DNS or traffic manager.
set -eu

capability=${1:-}
operation=${2:-}
[ "$capability" = traffic ] || { echo "this script serves the traffic capability, not '$capability'" >&2; exit 64; }
command -v jq >/dev/null || { echo 'this script needs jq on the PATH' >&2; exit 1; }
state=${TRAFFIC_STATE_FILE:-}
[ -n "$state" ] || { echo 'TRAFFIC_STATE_FILE is not set: list it in "passEnv" in the targets file' >&2; exit 1; }
# Not reachable is worth a retry: the system may be back by the next attempt.
[ -r "$state" ] || { echo "the traffic system does not answer: cannot read $state" >&2; exit 75; }

args=$(cat)
region=$(printf '%s' "$args" | jq -r '.region // empty')

# Writes the new state in one rename, so a reader never sees half a file.
save() { jq "$@" "$state" >"$state.tmp" && mv "$state.tmp" "$state"; }

known_region() {
  jq -e --arg r "$region" '.regions | has($r)' "$state" >/dev/null && return
  echo "no region '$region': the regions are $(jq -r '.regions | keys | join(", ")' "$state")" >&2
  exit 1
}

case "$operation" in
  active)
    jq '{region: .active, endpoint: .regions[.active].endpoint}' "$state" ;;
  health)
    jq '[.regions | to_entries[] | {region: .key, endpoint: .value.endpoint, healthy: (.value.serving != "maint"),
         status: ({ready: "UP", drain: "DRAIN", maint: "MAINT"}[.value.serving])}]' "$state" ;;
  switch)
    known_region
    previous=$(jq -r .active "$state")
    # Idempotent: switching to the active region writes nothing and says so.
    [ "$previous" = "$region" ] || save --arg r "$region" '.active = $r | .regions[$r].serving = "ready"'
    jq -n --arg r "$region" --arg p "$previous" '{region: $r, previous: $p, changed: ($r != $p)}' ;;
  serving)
    known_region
    jq --arg r "$region" '.regions[$r].serving | {state: ., status: ascii_upcase}' "$state" ;;
  set-serving)
    known_region
    target=$(printf '%s' "$args" | jq -r .state)
    case "$target" in ready | drain | maint) ;; *) echo "unknown serving state '$target': use ready, drain or maint" >&2; exit 1 ;; esac
    save --arg r "$region" --arg s "$target" '.regions[$r].serving = $s'
    jq -n --arg s "$target" '{state: $s, applied: true}' ;;
  probe)
    jq '[{check: "read the traffic state", ok: true, detail: "clients go to region \(.active) (\(.regions[.active].endpoint))"}]' "$state" ;;
  *)
    echo "unknown traffic operation '$operation'" >&2
    exit 64 ;;
esac
