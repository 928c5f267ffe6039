"""What a newcomer's first deploy meets: `sam deploy --guided` on its defaults, the parameters
the README explains, samconfig.toml's environments.

Not shown here: anything past SAM CLI's credentials step (no AWS account on this machine); the
deploy itself is rehearsed on moto's CloudFormation by tests/test_deploy_rehearsal.py.
"""

import copy
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from local_runner import template

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _readme_parameters() -> dict[str, str]:
    """The README's table of parameters: name -> the default column."""
    section = README[README.index("The template's parameters") :]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", section, flags=re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def test_the_readme_explains_every_parameter_with_its_default() -> None:
    params = template.load()["Parameters"]
    documented = _readme_parameters()
    assert set(documented) == set(params)
    for name, spec in params.items():
        if "Default" in spec and spec["Default"] != "":
            assert documented[name] == f"`{spec['Default']}`", name
        elif "Default" in spec:
            assert documented[name] == "empty", name
        else:
            assert documented[name] == "none: required", name


def test_the_required_sender_is_enforced_by_the_stack() -> None:
    """guided accepts an empty answer; the stack's Rules refuse it before anything is created."""
    params = template.load()["Parameters"]
    required = [name for name, spec in params.items() if "Default" not in spec]
    assert required == ["EmailSenderIdentityArns"]
    [rule] = template.load()["Rules"].values()
    assert "EmailSenderIdentityArns is required" in rule["Assertions"][0]["AssertDescription"]


def test_samconfig_environments_name_only_template_parameters_with_allowed_values() -> None:
    params = template.load()["Parameters"]
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env in ("default", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert "CAPABILITY_IAM" in deploy["capabilities"]
        for pair in deploy["parameter_overrides"].split():
            name, value = pair.split("=", 1)
            assert name in params, (env, name)
            allowed = params[name].get("AllowedValues")
            if allowed is not None:
                assert value in [str(v) for v in allowed], (env, pair)


def test_the_apis_auth_statement_changes_nothing_in_the_translation() -> None:
    """`Auth: ApiKeyRequired: false` is there for what it says (API Gateway authorizes nothing) and
    for guided's check; the translated template is the same without it."""
    from scripts.translate import translate, translated

    doc = copy.deepcopy(template.load())
    [api] = [r for r in doc["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    assert api["Properties"].pop("Auth") == {"ApiKeyRequired": False}
    without = translate(doc)
    assert without["Resources"] == translated()["Resources"]


def test_sam_clis_own_check_finds_no_route_without_authentication() -> None:
    from samcli.commands.deploy.auth_utils import auth_per_resource
    from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

    stacks, _ = SamLocalStackProvider.get_stacks(
        str(ROOT / "template.yaml"),
        parameter_overrides={
            "EmailSenderIdentityArns": "arn:aws:ses:us-east-1:123456789012:identity/a.example"
        },
    )
    checked = auth_per_resource(stacks)
    assert len(checked) >= 26
    assert [name for name, authenticated in checked if not authenticated] == []


def test_guided_deploy_on_its_defaults_reaches_the_credentials_step(tmp_path: Path) -> None:
    """Every prompt answered with Enter (the sender too: the stack's Rules refuse it later)."""
    for name in ("template.yaml", "samconfig.toml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    for name in ("functions", "layers"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "SAM_CLI_TELEMETRY": "0",
    }
    sam = ROOT / ".venv" / "bin" / "sam"
    if not sam.exists():
        pytest.skip("no .venv/bin/sam (make venv)")
    out = subprocess.run(
        [str(sam), "deploy", "--guided", "--region", "us-east-1"],
        cwd=tmp_path,
        input="\n" * 40,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    text = out.stdout + out.stderr
    assert "has no authentication" not in text
    assert "Looking for resources needed for deployment" in text, text[-2000:]
    assert "Unable to locate credentials" in text
