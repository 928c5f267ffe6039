"""template.yaml as CloudFormation deploys it: the SAM transform applied by samtranslator.

`python -m scripts.translate [--out FILE]` writes the translated template (JSON), which
`make template` lints with cfn-lint and scans with checkov, and which the tests read for the roles
(tests/iam/) and deploy to moto's CloudFormation (tests/test_deploy_rehearsal.py).

Local `CodeUri`/`ContentUri` folders become `s3://` URIs first, as `sam package` would make them.
"""

import argparse
import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from local_runner import template

REGION = "us-east-1"
ARTIFACTS = "s3://hellojohn-artifacts"


class _NoManagedPolicies:
    """Every policy in the template is inline or a resource of its own: nothing to look up in IAM."""

    def load(self) -> dict[str, str]:
        return {}


def packaged(doc: dict[str, Any]) -> dict[str, Any]:
    """The template with local code folders replaced by S3 URIs."""
    doc = copy.deepcopy(doc)
    for resource in doc["Resources"].values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"{ARTIFACTS}/{props[key].strip('/')}.zip"
    return doc


def translate(doc: dict[str, Any]) -> dict[str, Any]:
    """A SAM template as CloudFormation deploys it (its code folders packaged first)."""
    from samtranslator.translator.transform import transform

    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = REGION  # samtranslator reads the region for its ARNs
    try:
        # passthrough_metadata: each resource's Metadata (its checkov skips) reaches what SAM makes of it
        out: dict[str, Any] = transform(packaged(doc), {}, _NoManagedPolicies(), passthrough_metadata=True)
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous
    return out


@cache
def _translated() -> str:
    return json.dumps(translate(template.load()))


def translated() -> dict[str, Any]:
    """The CloudFormation template (a fresh copy each call)."""
    result: dict[str, Any] = json.loads(_translated())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="write here (default: standard output)")
    args = parser.parse_args()
    text = json.dumps(translated(), indent=2) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
