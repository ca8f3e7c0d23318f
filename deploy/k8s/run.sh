#!/usr/bin/env bash
# A sharded `imgwire bench` on a Kubernetes cluster, start to merged report:
# fills in bench-job.yaml (SHARDS pods, one start time a minute ahead),
# applies it, waits for every shard, reads each pod's JSON line from its log
# and merges them with `imgwire merge` (run here, so imgwire must be on PATH).
#
#   deploy/k8s/run.sh [SHARDS] [CONCURRENCY] [DURATION_S] [MERGE FLAGS...]
#   e.g. deploy/k8s/run.sh 4 80 60 --export-json merged.json --html merged.html
#
# Needs kubectl with a context, and the image `imgwire:latest` where the
# nodes can pull it (deploy/build-image.sh builds it). serve.yaml gives the
# built-in servers to measure; point the job's --rest-url/--grpc-url at your
# own service instead to measure a model server.
set -euo pipefail
cd "$(dirname "$0")"
shards="${1:-4}"
concurrency="${2:-$((shards * 20))}"
duration="${3:-60}"
shift $(($# < 3 ? $# : 3))
# Every shard waits for the same moment, far enough ahead for the pods to
# be scheduled and pull the image.
start_at="$(date -u -d '+60 seconds' +%Y-%m-%dT%H:%M:%SZ)"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

kubectl delete job imgwire-bench --ignore-not-found --wait=true
sed -e "s/\${SHARDS}/$shards/g" -e "s/\${START_AT}/$start_at/g" \
  -e "s/\${CONCURRENCY}/$concurrency/g" -e "s/\${DURATION}/$duration/g" bench-job.yaml \
  | kubectl apply -f -
echo "run.sh: $shards shards start at $start_at" >&2
kubectl wait --for=condition=complete job/imgwire-bench --timeout=$((duration * 20 + 600))s \
  || echo "run.sh: the job did not complete; merging the shards that reported" >&2
for pod in $(kubectl get pods -l job-name=imgwire-bench -o name); do
  kubectl logs "$pod" >"$logs/${pod#pod/}.log" || true
done
cat "$logs"/*.log | imgwire merge - "$@"
