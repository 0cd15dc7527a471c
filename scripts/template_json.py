"""Prints a CloudFormation template (YAML or JSON, short-form intrinsics like !Ref included) as
JSON, using cfn-lint's own template decoder. The examples test deploys templates from it.

    .venv/bin/python scripts/template_json.py examples/one-account.yaml
"""
import json
import sys

from cfnlint.decode import decode

template, matches = decode(sys.argv[1])
if matches or template is None:
    sys.exit(f"{sys.argv[1]}: cannot be read: {[str(m) for m in matches]}")
print(json.dumps(template))
