"""Each function's role as SAM translates template.yaml, its policies resolved to concrete ARNs.

The account, region and physical names are fixed: the ones the tests' moto world uses
(`local_runner.provision`, prefix "hellojohn-local"), so a recorded call's resource and a policy's
resource are the same string exactly when they name the same thing.

Kept apart: the policies SAM itself adds for the event source mappings (e.g. the stream's
`OnFailure` destination), which the Lambda service uses, not the code (evaluated, but not counted
in "every grant is used"), and the AWS managed policies SAM attaches (logs, X-Ray, the pollers'
`AWSLambdaDynamoDBExecutionRole`/`AWSLambdaSQSQueueExecutionRole`), which are not evaluated at all:
no call of the code may rely on them, which can only make the check stricter.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from local_runner.provision import _physical
from scripts.translate import translated

ACCOUNT = "123456789012"
REGION = "us-east-1"
PREFIX = "hellojohn-local"
SECRET_SUFFIX = "AbCdEf"  # the six characters Secrets Manager appends to a secret's name in its ARN
# The SES identities the tests' tenants send verification emails from (tests/conftest.py,
# tests/handlers/test_email_change.py): the stack's EmailSenderIdentityArns in the tests.
SENDER_IDENTITIES = ("acme.test", "globex.example.com")
PARAMETERS: dict[str, Any] = {
    "EmailSenderIdentityArns": [f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{d}" for d in SENDER_IDENTITIES]
}
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "hellojohn-users-dev",
}


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def secret_arn(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-{SECRET_SUFFIX}"


def bus_arn(name: str) -> str:
    return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"


def identity_arn(identity: str) -> str:
    return f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{identity}"


def kms_key_arn() -> str:
    """The ARN of the stack's one KMS key (the webhook secrets'), by its physical name here."""
    from local_runner import template

    [logical_id] = template.resources("AWS::KMS::Key")
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{_physical(logical_id, PREFIX)}"


class Unresolved(ValueError):
    """An intrinsic function or attribute the resolver does not know."""


class Resolver:
    """`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Split` and `Fn::Select` over the
    translated template, for the fixed account, region and names."""

    def __init__(self, doc: dict[str, Any], parameters: dict[str, Any]) -> None:
        self.resources: dict[str, dict[str, Any]] = doc["Resources"]
        self.parameters = {
            name: parameters.get(name, spec.get("Default"))
            for name, spec in doc.get("Parameters", {}).items()
        }

    def _physical(self, logical_id: str) -> str:
        return _physical(logical_id, PREFIX)

    def ref(self, name: str) -> Any:  # noqa: PLR0911 - one branch per kind
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            value = self.parameters[name]
            if value is None:
                raise Unresolved(f"parameter {name} has no value")
            return value
        kind = self.resources[name]["Type"]
        physical = self._physical(name)
        if kind in ("AWS::DynamoDB::Table", "AWS::Events::EventBus"):
            return physical
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"
        if kind == "AWS::SecretsManager::Secret":
            return secret_arn(physical)
        if kind == "AWS::KMS::Key":
            return physical  # the key id: moto's is random, and no policy names a key by it
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:aws:iam::{ACCOUNT}:policy/{physical}"
        raise Unresolved(f"Ref to a {kind} ({name})")

    def get_att(self, name: str, attribute: str) -> str:  # noqa: PLR0911 - one branch per attribute
        kind = self.resources[name]["Type"]
        physical = self._physical(name)
        if (kind, attribute) == ("AWS::DynamoDB::Table", "Arn"):
            return table_arn(physical)
        if (kind, attribute) == ("AWS::DynamoDB::Table", "StreamArn"):
            return f"{table_arn(physical)}/stream/2026-01-01T00:00:00.000"
        if (kind, attribute) == ("AWS::SQS::Queue", "Arn"):
            return queue_arn(physical)
        if (kind, attribute) == ("AWS::SQS::Queue", "QueueName"):
            return physical
        if (kind, attribute) == ("AWS::Events::EventBus", "Arn"):
            return bus_arn(physical)
        if (kind, attribute) == ("AWS::Events::EventBus", "Name"):
            return physical
        if (kind, attribute) == ("AWS::KMS::Key", "Arn"):
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{physical}"
        raise Unresolved(f"Fn::GetAtt {name}.{attribute} ({kind})")

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        import re

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", value, text)

    def __call__(self, node: Any) -> Any:  # noqa: PLR0911 - one branch per intrinsic function
        if isinstance(node, list):
            return [self(n) for n in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(fn, arg)] = node.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if fn == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self(arg[1]))
                return self._sub(text, variables)
            if fn == "Fn::Join":
                return str(self(arg[0])).join(str(v) for v in self(arg[1]))
            if fn == "Fn::Split":
                return str(self(arg[1])).split(arg[0])
            if fn == "Fn::Select":
                return self(arg[1])[int(self(arg[0]))]
            if fn.startswith("Fn::") or fn == "Condition":
                raise Unresolved(f"{fn} is not resolved")
        return {k: self(v) for k, v in node.items()}


@dataclass(frozen=True)
class Policy:
    name: str  # the inline policy's name, or the managed policy's logical id
    document: dict[str, Any]
    ours: bool  # written in template.yaml (counted in "every grant is used"), not added by SAM
    shared: bool = False  # an AWS::IAM::ManagedPolicy of the template, attached to several roles

    def owner(self, function: str) -> str:
        """Whose grant it is: the function's, or the shared policy's (used once by any of its roles)."""
        return self.name if self.shared else function


@cache
def roles() -> dict[str, tuple[Policy, ...]]:
    """Each function's policies, by the function's logical id."""
    doc = translated()
    resolve = Resolver(doc, PARAMETERS)
    resources = doc["Resources"]
    found: dict[str, tuple[Policy, ...]] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role_ref = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        role = resources[role_ref]["Properties"]
        policies: list[Policy] = []
        for inline in role.get("Policies", []):
            name = inline["PolicyName"]
            # SAM names the template's `Policies` entries <Function>RolePolicy<N>; the ones it adds
            # for event sources otherwise (e.g. <Function>StreamSQSPolicy)
            ours = name.startswith(f"{role_ref}Policy")
            policies.append(Policy(name, resolve(inline["PolicyDocument"]), ours))
        for arn in role.get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and "Ref" in arn:
                managed = resources[arn["Ref"]]
                if managed["Type"] != "AWS::IAM::ManagedPolicy":
                    raise Unresolved(f"managed policy {arn}")
                document = resolve(managed["Properties"]["PolicyDocument"])
                # shared: its grants must be used by some role; UsedByEveryRole: by every role attaching it
                every = (managed.get("Metadata") or {}).get("HelloJohn", {}).get("UsedByEveryRole", False)
                policies.append(Policy(arn["Ref"], document, ours=True, shared=not every))
            elif not (isinstance(arn, str) and arn.startswith("arn:aws:iam::aws:policy/")):
                raise Unresolved(f"managed policy {arn}")
        found[logical_id] = tuple(policies)
    return found


@dataclass(frozen=True)
class Grant:
    """The unit of least privilege: one action on one resource, under one LeadingKeys pattern."""

    function: str
    policy: str
    statement: int
    action: str
    resource: str
    key_pattern: str | None  # a value of the statement's dynamodb:LeadingKeys condition, if it has one

    def __str__(self) -> str:
        scope = f" for keys {self.key_pattern}" if self.key_pattern else ""
        return f"{self.function}: {self.action} on {self.resource}{scope} ({self.policy}#{self.statement})"


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def leading_key_patterns(statement: dict[str, Any]) -> list[str | None]:
    patterns: list[str | None] = []
    for block, keys in (statement.get("Condition") or {}).items():
        if "Not" in block:  # an exclusion (e.g. StringNotLike TNT#*#*) grants nothing of its own
            continue
        for key, values in keys.items():
            if key.lower() == "dynamodb:leadingkeys":
                patterns += [str(v) for v in _listed(values)]
    return patterns or [None]


@cache
def grants() -> frozenset[Grant]:
    """Every grant the template's own policies make."""
    found: set[Grant] = set()
    for function, policies in roles().items():
        for policy in policies:
            if not policy.ours:
                continue
            for index, statement in enumerate(_listed(policy.document["Statement"])):
                if statement["Effect"] != "Allow":
                    continue
                for action in _listed(statement["Action"]):
                    for resource in _listed(statement["Resource"]):
                        for pattern in leading_key_patterns(statement):
                            grant = Grant(
                                policy.owner(function), policy.name, index, action, resource, pattern
                            )
                            found.add(grant)
    return frozenset(found)
