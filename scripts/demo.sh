#!/usr/bin/env bash
# make demo: the example shop promoted dev → staging (canary) → prod
# (blue-green) on the built-in local cluster, then a bad release that dev's
# short check lets through and staging's canary catches and undoes.
# Safe to run again; `make demo-down` stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

step "Building the plugin and the local cluster (the first build of the cluster takes ~20-40 min)"
make --no-print-directory build
go run ./test/localcluster/cmd/localcluster build
kubeconfig=$(go run ./test/localcluster/cmd/localcluster up --name demo | tail -n 1)
export KUBECONFIG=$kubeconfig
kubectl config use-context demo >/dev/null
# kubectl finds the plugin on PATH, as it would after `kubectl krew install promote`.
export PATH=$root/bin:$PATH

# Work on a copy so the repository stays as it is; shorten the waits so
# the demo takes a minute or two rather than the example's real pauses.
work=$root/.cache/demo/kustomize-shop
rm -rf "$work" && mkdir -p "$(dirname "$work")" && cp -r examples/kustomize-shop "$work"
cd "$work"
sed -i -e 's/pause: 30s/pause: 3s/' -e 's/scaleDownDelay: 5m/scaleDownDelay: 10s/' promote.yaml
# Start from empty environments, so every run tells the same story: the
# first release creates each namespace (--create-namespace, as the example's
# renders hold no Namespace objects).
kubectl delete namespace shop-dev shop-staging shop --ignore-not-found --wait=true >/dev/null

# resume_when_paused ENV: what a release engineer does from a second
# terminal when the rollout waits for them (a `pause: {}` step, or the
# blue-green switch with autoPromote: false). Timed pauses run out alone.
resume_when_paused() {
  for _ in $(seq 1 180); do
    if kubectl promote status "$1" -o json 2>/dev/null | grep -q '"pauseReason": "waiting for'; then
      printf '$ kubectl promote resume %s   # from a second terminal\n' "$1" >&2
      kubectl promote resume "$1" >&2
      return 0
    fi
    sleep 1
  done
  echo "demo: $1 never waited for resume" >&2
  return 1
}

step "First release: dev applies its own state, then it is promoted to staging and prod"
run kubectl promote apply dev --yes --create-namespace
run kubectl promote staging prod --yes --approve --create-namespace

step "Release 1.5.0: dev → staging as a canary (20% → 3 s → 50% → wait for resume)"
sed -i 's/newTag: .*/newTag: 1.5.0/' overlays/dev/kustomization.yaml
run kubectl promote apply dev --yes
resume_when_paused staging &
run kubectl promote staging --yes
wait

step "Release 1.5.0: staging → prod blue-green (approval, preview, switch after resume)"
resume_when_paused prod &
run kubectl promote prod --yes --approve
wait
run kubectl promote status prod

step "A bad release: web 2.0.0 is healthy at first and crash-loops 8 s later"
sed -i 's/newTag: .*/newTag: 2.0.0-late-crash/' overlays/dev/kustomization.yaml
run kubectl promote apply dev --yes
echo "dev's 2 s verify window let it through (dev is a quick smoke environment)." >&2
set +e
run kubectl promote staging --yes
code=$?
set -e
if [ "$code" -ne 4 ]; then
  echo "demo: expected staging to catch the bad release and exit 4, got $code" >&2
  exit 1
fi
step "staging caught it and undid it (exit 4); prod was never touched"
run kubectl promote history staging
run kubectl promote status staging
run kubectl promote status prod
echo >&2
echo "Done. prod runs 1.5.0; the bad 2.0.0 never left staging. 'make demo-down' stops the cluster." >&2
