#!/usr/bin/env bash
# A sharded `imgwire bench` on a Kubernetes cluster, start to merged report:
# fills in bench-job.yaml (SHARDS pods, one start time ahead of now),
# applies it, waits until the Job completes or fails, keeps each pod's log
# and merges the JSON lines in them with `imgwire merge -` (run here, so
# imgwire must be on PATH).
#
#   deploy/k8s/run.sh [SHARDS] [CONCURRENCY] [DURATION_S] [MERGE FLAGS...]
#   e.g. deploy/k8s/run.sh 4 80 60 --export-json merged.json --export-html merged.html
#   deploy/k8s/run.sh --print [SHARDS] [CONCURRENCY] [DURATION_S]
#       prints the manifest it would apply, and applies nothing
#
# CONCURRENCY is the total over all shards (default 20 a shard); each shard
# runs its share. Environment: IMGWIRE_IMAGE (default imgwire:latest, which
# the nodes must be able to pull: deploy/build-image.sh builds it, push it to
# your registry), IMGWIRE_START_AHEAD_S (default 60: time for every pod to
# be scheduled and pull the image before the shared start), IMGWIRE_LOGS
# (where the pods' logs are kept, default ./imgwire-bench-logs).
# Needs kubectl with a context. serve.yaml gives imgwire's own servers to
# measure; point the Job's --rest-url/--grpc-url at your own Service to
# measure a model server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
print_only=false
if [ "${1:-}" = "--print" ]; then
  print_only=true
  shift
fi
shards="${1:-4}"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: SHARDS '$shards' is not a whole number above 0" >&2; exit 2; }
concurrency="${2:-$((shards * 20))}"
duration="${3:-60}"
shift $(($# < 3 ? $# : 3))
image="${IMGWIRE_IMAGE:-imgwire:latest}"
ahead_s="${IMGWIRE_START_AHEAD_S:-60}"
for number in "$shards" "$concurrency" "$duration" "$ahead_s"; do
  [[ "$number" =~ ^[1-9][0-9]*$ ]] \
    || { echo "run.sh: '$number' is not a whole number above 0 (see the usage at the top)" >&2; exit 2; }
done
# Every shard waits for the same moment (RFC 3339, UTC).
start_at="$(date -u -d "+$ahead_s seconds" +%Y-%m-%dT%H:%M:%SZ)"

manifest="$(sed -e "s|\${SHARDS}|$shards|g" -e "s|\${START_AT}|$start_at|g" \
  -e "s|\${CONCURRENCY}|$concurrency|g" -e "s|\${DURATION}|$duration|g" \
  -e "s|\${IMAGE}|$image|g" "$here/bench-job.yaml")"
if [ "$print_only" = true ]; then
  echo "$manifest"
  exit 0
fi

kubectl delete job imgwire-bench --ignore-not-found --wait=true
echo "$manifest" | kubectl apply -f -
uid="$(kubectl get job imgwire-bench -o jsonpath='{.metadata.uid}')"
echo "run.sh: job uid $uid, $shards shards start at $start_at" >&2

# Complete or Failed, whichever comes: a failed shard still leaves the
# others' reports to merge.
deadline=$((SECONDS + ahead_s + duration * 20 + 600))
while :; do
  conditions="$(kubectl get job imgwire-bench -o jsonpath='{.status.conditions[*].type}')"
  case " $conditions " in
    *" Complete "*) break ;;
    *" Failed "*) echo "run.sh: the job failed; merging the shards that reported" >&2; break ;;
  esac
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "run.sh: the job did not finish in time; merging the shards that reported" >&2
    break
  fi
  sleep 5
done

# Only this Job's pods (by its uid): pods of an earlier run may linger.
logs="${IMGWIRE_LOGS:-imgwire-bench-logs}"
mkdir -p "$logs"
rm -f "$logs"/*.log
for pod in $(kubectl get pods -l "controller-uid=$uid" -o name); do
  kubectl logs "$pod" >"$logs/${pod#pod/}.log" || true
done
echo "run.sh: pod logs in $logs" >&2
cat "$logs"/*.log | imgwire merge - "$@"
