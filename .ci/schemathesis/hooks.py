"""Schemathesis hooks for `.ci/schemathesis/run`: what the tool cannot read from the spec alone.

1. `format: agora-id` (the ids of spec/classroom.yaml) is the project's own format: 1 to 64
   bytes of the 89 documented characters. Registered so that generated ids come from that set.
2. The run fixes `region` and `appId` to the emulator's (schemathesis.toml, [parameters]).
   A negative case whose only broken part is one of those parameters is sent with the fixed,
   valid value, so the emulator rightly accepts it: that "schema-violating request accepted"
   is dropped.
3. Some phases (the stateful one mostly) fill path parameters without their schema, sending ids outside the
   documented set while calling the request schema-valid; the emulator rightly answers 400.
   That "schema-valid request rejected" is dropped only when a path id really breaks the spec's
   own id schema (the pattern and the 64-byte limit, read from spec/classroom.yaml).
4. setRecordingState's videoWidth × videoHeight must not exceed 1920 × 1080: the spec says so
   in its descriptions, since JSON Schema cannot state a product. A "schema-valid request
   rejected" is dropped only when the request breaks that documented rule.
5. A byte limit of the documents ("at most 64 bytes") is `x-max-bytes` in the spec beside a
   `maxLength` in characters, which is all JSON Schema can say. A "schema-valid request
   rejected" is dropped only when a body member is longer than its `x-max-bytes`.
Every other failure fails the run.
"""

import os
import re
import sys
from urllib.parse import unquote_to_bytes

import schemathesis
import yaml
from hypothesis import strategies as st

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "spec", "classroom.yaml")
with open(SPEC, encoding="utf-8") as spec_file:
    _spec = yaml.safe_load(spec_file)

# The path parameters that are ids, with their schema's pattern and byte limit.
_schemas = _spec["components"]["schemas"]
ID_PARAMETERS = {}
for parameter in _spec["components"]["parameters"].values():
    ref = parameter.get("schema", {}).get("$ref", "")
    schema = _schemas.get(ref.rsplit("/", 1)[-1], {})
    if parameter.get("in") == "path" and schema.get("format") == "agora-id":
        ID_PARAMETERS[parameter["name"]] = (re.compile(schema["pattern"]), schema["maxLength"])
assert {"roomUuid", "userUuid", "widgetUuid"} <= set(ID_PARAMETERS), ID_PARAMETERS

# The body members with a byte limit, by name, from every schema of the spec.
MAX_BYTES = {}
for schema in _schemas.values():
    for name, member in (schema.get("properties") or {}).items():
        if "x-max-bytes" in member:
            MAX_BYTES[name] = member["x-max-bytes"]
assert {"roomName", "resourceName"} <= set(MAX_BYTES), MAX_BYTES

# The 89 characters of the documents; every one is one byte, so 64 characters are 64 bytes.
ID_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&()+-:;<=.>?@[]^_{}|~,"
assert len(ID_CHARACTERS) == 89
schemathesis.openapi.format("agora-id", st.text(alphabet=ID_CHARACTERS, min_size=1, max_size=64))

# The parameters schemathesis.toml fixes, with their values.
FIXED = {"region": "cn", "appId": os.environ["CLASSROOM_ST_APP_ID"]}


def _is_valid_id(name, encoded):
    """Whether a path parameter, as sent (percent-encoded), is an id the spec admits."""
    pattern, max_bytes = ID_PARAMETERS[name]
    try:
        value = unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(pattern.search(value)) and 1 <= len(value.encode("utf-8")) <= max_bytes


def _exceeds_the_documented_area(case):
    """Whether a setRecordingState request asks for more than 1920 × 1080 pixels."""
    if case.method.upper() != "PUT" or not case.operation.path.endswith("/records/states/{state}"):
        return False
    config = case.body.get("webRecordConfig") if isinstance(case.body, dict) else None
    if not isinstance(config, dict):
        return False
    width, height = config.get("videoWidth", 1280), config.get("videoHeight", 720)
    numbers = all(isinstance(n, int) and not isinstance(n, bool) for n in (width, height))
    return numbers and width * height > 1920 * 1080


def _exceeds_a_byte_limit(case):
    """Whether a member of the request body is longer than its `x-max-bytes`."""
    body = case.body if isinstance(case.body, dict) else {}
    return any(
        isinstance(body.get(name), str) and len(body[name].encode("utf-8", "surrogatepass")) > limit
        for name, limit in MAX_BYTES.items()
    )


@schemathesis.hook
def filter_failure(context, failure, case, response):
    data = getattr(case.meta.phase, "data", None) if case.meta else None
    parameter = getattr(data, "parameter", None)
    location = getattr(data, "parameter_location", None)
    path = case.path_parameters or {}
    reason = None
    if failure.code == "ST201" and parameter in FIXED and location == "path":
        if path.get(parameter) == FIXED[parameter]:
            reason = f"{parameter} was sent as the fixed, valid {path.get(parameter)!r}"
    elif failure.code == "ST202":
        broken = [n for n, v in path.items() if n in ID_PARAMETERS and isinstance(v, str) and not _is_valid_id(n, v)]
        if broken:
            reason = f"the path's {', '.join(broken)} breaks the spec's id schema"
        elif _exceeds_the_documented_area(case):
            reason = "videoWidth × videoHeight exceeds the documented 1920 × 1080"
        elif _exceeds_a_byte_limit(case):
            reason = "a body member exceeds its x-max-bytes"
    if reason is None:
        return True
    print(f"hooks.py dropped {failure.code} on {case.method} {case.operation.path}: {reason}", file=sys.stderr)
    return False
