#!/usr/bin/env bash
# `make lint-deploy`: lint the Helm chart and render it for each values variant into deploy/helm/rendered/, each
# render headed by the digest of what it was made from. CI validates the committed renders against the
# Kubernetes schemas (tests/deploy/test_helm.py) without building helm; this script builds helm once from its Go
# module (helm.sh/helm/v3, a few minutes) into .local/tools/bin.
source "$(dirname "$0")/../common.sh"

HERE="$ROOT/deploy/helm"
# Tools built once from their Go modules into .local/tools/bin. Arguments: name, module path of its command, version.
go_tool() {
  local bin="$LOCAL_DIR/tools/bin/$1"
  if [ ! -x "$bin" ]; then
    say "building $1 $3 from its Go module (once)"
    GOBIN="$LOCAL_DIR/tools/bin" GOFLAGS=-mod=mod go install "$2@$3" >&2 || die "building $1 failed"
  fi
  echo "$bin"
}
HELM_VERSION=v3.22.0
HELM=$(go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION") || exit 1
HELM_DOCS=$(go_tool helm-docs github.com/norwoodj/helm-docs/cmd/helm-docs v1.14.2) || exit 1
# The chart's README: its values table from the comments in values.yaml, ended by the digest of what it was made
# from (tests/deploy/test_helm.py recomputes it).
"$HELM_DOCS" --chart-search-root "$HERE/offboarding" --skip-version-footer --log-level warning \
  || die "helm-docs failed"
echo "<!-- values digest: $("$VENV_PYTHON" "$HERE/digest.py" --readme) -->" >> "$HERE/offboarding/README.md"
say "wrote the chart's README"
mkdir -p "$HERE/rendered"
for variant in default production inline-secrets wording; do
  values=()
  [ "$variant" = default ] || values=(-f "$HERE/values-$variant.yaml")
  "$HELM" lint "$HERE/offboarding" "${values[@]}" >/dev/null || { "$HELM" lint "$HERE/offboarding" "${values[@]}"; die "helm lint failed ($variant)"; }
  digest=$("$VENV_PYTHON" "$HERE/digest.py" ${values[1]:+"${values[1]}"})
  {
    echo "# Rendered by \`make lint-deploy\` (helm $HELM_VERSION template offboarding deploy/helm/offboarding${values[1]:+ -f ${values[1]#"$ROOT"/}})."
    echo "# chart digest: $digest"
    "$HELM" template offboarding "$HERE/offboarding" --namespace offboarding "${values[@]}"
  } > "$HERE/rendered/$variant.yaml"
  say "rendered $variant"
done
