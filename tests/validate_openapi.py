#!/usr/bin/python3
"""Validate a JSON body against a schema of the 3GPP OpenAPI files.

    validate_openapi.py SPEC_DIR 'FILE.yaml#/components/schemas/NAME' BODY_FILE

Every $ref across the files of SPEC_DIR is followed. Exit 0 when the body
is valid, 1 with the validator's reason on stderr when it is not, 2 on
usage errors. Validator is the same check for a program that imports it
(tests/nrf_server.py).
"""
import json
import os
import sys
import warnings

import jsonschema
import yaml

warnings.filterwarnings("ignore", category=DeprecationWarning)


class Validator:
    """Bodies against the schemas of SPEC_DIR's files, each file read when a
    $ref first reaches it and kept; a $ref to a file not in SPEC_DIR is a
    failure of the body that reached it."""

    def __init__(self, spec_dir):
        self.spec_dir = spec_dir
        self.loaded = []
        self.cache = {}

    def load(self, uri):
        name = uri[len("file:///spec/"):]
        if name not in self.cache:
            self.loaded.append(name)
            with open(os.path.join(self.spec_dir, name)) as f:
                self.cache[name] = yaml.safe_load(f)
        return self.cache[name]

    def check(self, doc_name, schema, body):
        """None when body is valid against schema (a JSON schema whose $refs
        are relative to doc_name), else the reason."""
        base = "file:///spec/" + doc_name
        resolver = jsonschema.RefResolver(base_uri=base, referrer=self.load(base),
                                          handlers={"file": self.load})
        try:
            jsonschema.Draft4Validator(schema, resolver=resolver).validate(body)
        except jsonschema.ValidationError as e:
            return "invalid: %s (at %s)" % (e.message, "/".join(map(str, e.absolute_path)))
        except (jsonschema.RefResolutionError, OSError) as e:
            return "a $ref outside the copied files: %s" % e
        return None


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    spec_dir, ref, body_file = sys.argv[1:]
    v = Validator(spec_dir)
    with open(body_file) as f:
        body = json.load(f)
    why = v.check(ref.split("#", 1)[0], {"$ref": ref}, body)
    if why:
        print("%s against %s" % (why, ref), file=sys.stderr)
        return 1
    if os.environ.get("OPENAPI_LIST_FILES"):
        print(" ".join(sorted(set(v.loaded))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
