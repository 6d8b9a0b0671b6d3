"""Every example in the OpenAPI document validates against its schema, as
OpenAPI 3.0 reads it (nullable, writeOnly, $ref into components).

Usage: python examples.py docs/openapi.json
"""

import json
import sys

from openapi_schema_validator import OAS30WriteValidator

document = json.load(open(sys.argv[1]))
checked = 0
for name, schema in document["components"]["schemas"].items():
    if "example" not in schema:
        continue
    # The schema by reference, beside the components its own $refs name.
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    validator = OAS30WriteValidator(root)
    errors = [e.message for e in validator.iter_errors(schema["example"])]
    if errors:
        sys.exit(f"the example of {name} does not match its schema: {errors}")
    checked += 1
if checked < 22:
    sys.exit(f"only {checked} schemas have examples")
print(f"{checked} examples match their schemas")
