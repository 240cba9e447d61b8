#!/usr/bin/env bash
# Regenerates hippo_sdk/rest (the REST client) from an OpenAPI document that
# hippo serves (/api/v1/openapi.json):
#   sdk/python/generate.sh openapi.json
# with openapi-python-client and ruff from the venv in sdk/python/.venv
# (pip install -r requirements-dev.txt; PYTHON_VENV names another). The
# output depends only on the document (generator.yaml, pinned tools), so
# .ci/sdk-generate can regenerate and diff it. Only the generator's known
# warning (the upload's other media types, see generator.yaml) is allowed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
doc="${1:?usage: generate.sh OPENAPI_JSON}"
venv="${PYTHON_VENV:-$here/.venv}"
[ -x "$venv/bin/openapi-python-client" ] || { echo "generate: $venv/bin/openapi-python-client is missing (pip install -r $here/requirements-dev.txt)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! PATH="$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate --path "$doc" \
  --config "$here/generator.yaml" --output-path "$out/project" >"$out/generate.log" 2>&1; then
  cat "$out/generate.log" >&2
  echo "generate: openapi-python-client failed" >&2
  exit 1
fi
unexpected=$(grep -E '^WARNING' "$out/generate.log" | grep -vxF 'WARNING parsing POST /api/v1/attachments within files.' || true)
if [ -n "$unexpected" ]; then
  cat "$out/generate.log" >&2
  echo "generate: openapi-python-client warned: $unexpected" >&2
  exit 1
fi
[ -f "$out/project/rest/client.py" ] || { echo "generate: no rest/client.py in the output" >&2; exit 1; }
rm -rf "$out/project/rest/.ruff_cache"
find "$out/project/rest" -name __pycache__ -prune -exec rm -rf {} +
rm -rf "$here/hippo_sdk/rest"
cp -R "$out/project/rest" "$here/hippo_sdk/rest"
echo "generate: hippo_sdk/rest from $doc ($(find "$here/hippo_sdk/rest" -name '*.py' | wc -l) files)"
