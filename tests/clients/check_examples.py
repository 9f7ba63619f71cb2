"""Validates every example in an OpenAPI 3.1 document against the schema it
belongs to (JSON Schema 2020-12, with the document's components for
`$ref`s). Prints what it checked; exits 1 on the first example that does not
validate.

    python3 check_examples.py openapi.json
"""

import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


def schemas(node, path="#"):
    """Every schema object in the document that carries examples."""
    if isinstance(node, dict):
        if "examples" in node and isinstance(node["examples"], list) and (
                "type" in node or "properties" in node or "$ref" in node or "oneOf" in node):
            yield path, node
        for key, value in node.items():
            yield from schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from schemas(value, f"{path}/{n}")


def main(path):
    doc = json.load(open(path))
    checked = 0
    for where, schema in schemas(doc):
        root = {"allOf": [{k: v for k, v in schema.items() if k != "examples"}],
                "components": doc.get("components", {})}
        validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
        for example in schema["examples"]:
            try:
                validator.validate(example)
            except ValidationError as err:
                print(f"{where}: example {example!r} does not validate: {err.message}")
                sys.exit(1)
            checked += 1
    print(f"{checked} examples validate")
    if checked == 0:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1])
