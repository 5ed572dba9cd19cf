#!/usr/bin/python3
"""Validate a JSON body against a schema of the 3GPP OpenAPI files.

    validate_openapi.py SPEC_DIR 'FILE.yaml#/components/schemas/NAME' BODY_FILE

Every $ref across the files of SPEC_DIR is followed. Exit 0 when the body
is valid, 1 with the validator's reason on stderr when it is not, 2 on
usage errors.
"""
import json
import os
import sys
import warnings

import jsonschema
import yaml

warnings.filterwarnings("ignore", category=DeprecationWarning)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    spec_dir, ref, body_file = sys.argv[1:]
    loaded = []

    def load(uri):
        # Files are read when a $ref first reaches them, not all at once.
        name = uri[len("file:///spec/"):]
        loaded.append(name)
        with open(os.path.join(spec_dir, name)) as f:
            return yaml.safe_load(f)

    doc_name = ref.split("#", 1)[0]
    base = "file:///spec/" + doc_name
    resolver = jsonschema.RefResolver(base_uri=base, referrer=load(base),
                                      handlers={"file": load})
    with open(body_file) as f:
        body = json.load(f)
    schema = {"$ref": ref}
    try:
        jsonschema.Draft4Validator(schema, resolver=resolver).validate(body)
    except jsonschema.ValidationError as e:
        print("invalid against %s: %s" % (ref, e.message), file=sys.stderr)
        return 1
    if os.environ.get("OPENAPI_LIST_FILES"):
        print(" ".join(sorted(set(loaded))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
