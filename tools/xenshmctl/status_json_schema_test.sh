#!/usr/bin/env bash
# status_json_schema_test.sh SAMPLE VALIDATOR SCHEMA: the documents
# xenshmctl_status_sample renders (an empty and a busy registry) conform to
# docs/xenshmctl-status.schema.json, and the validator does refuse documents
# that break it (so a pass means something).
set -euo pipefail
sample=$1 validator=$2 schema=$3
dir=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*" >&2; exit 1; }

"$sample" "$dir/empty.json" "$dir/busy.json" || fail "the sample did not run"
python3 "$validator" "$schema" "$dir/empty.json" "$dir/busy.json" ||
  fail "real output does not match the schema"

# Broken copies of the busy document: each must be refused.
broken() {
  python3 - "$dir/busy.json" "$dir/broken.json" "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(doc, open(sys.argv[2], "w"))
PY
  if python3 "$validator" "$schema" "$dir/broken.json" 2>/dev/null; then
    fail "the schema accepts a document where: $1"
  fi
}
broken 'del doc["version"]'
broken 'doc["version"] = 2'
broken 'doc["regions"][0]["size"] = "16M"'
broken 'doc["regions"][0]["mode"] = "640"'
broken 'doc["regions"][0]["owner"] = -1'
broken 'del doc["regions"][0]["peers"]'
broken 'doc["regions"][0]["peers"][0]["error"] = "x"'
broken 'doc["usage"][0]["quotas"]["regions"] = {"used": 1}'
broken 'doc["module"]["pages"] = 1.5'
echo "PASS: status --json matches docs/xenshmctl-status.schema.json"
