"""The IAM evaluator of tests/iam/policy.py against AWS's documented evaluation logic."""

from typing import Any

import pytest

from tests.iam.policy import Unsupported, evaluate, glob_match

T = "arn:aws:dynamodb:us-east-1:1:table/T"


def doc(*statements: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("p", {"Version": "2012-10-17", "Statement": list(statements)})]


def allow(
    action: object = "dynamodb:GetItem", resource: object = T, **condition: dict[str, Any]
) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = {k.replace("__", ":"): v for k, v in condition.items()}
    return statement


def keys(*values: str) -> dict[str, list[str]]:
    return {"dynamodb:LeadingKeys": list(values)}


def test_implicit_deny_without_a_matching_statement() -> None:
    assert not evaluate(doc(allow()), "dynamodb:PutItem", T).allowed
    assert not evaluate([], "dynamodb:GetItem", T).allowed


def test_explicit_deny_wins() -> None:
    deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}
    assert not evaluate(doc(allow(), deny), "dynamodb:GetItem", T).allowed


def test_action_is_case_insensitive_with_wildcards_resource_is_not() -> None:
    assert evaluate(doc(allow("DynamoDB:get*")), "dynamodb:GetItem", T).allowed
    assert not evaluate(doc(allow(resource=T.upper())), "dynamodb:GetItem", T).allowed
    assert evaluate(doc(allow(resource=f"{T}/index/*")), "dynamodb:Query", f"{T}/index/GSI1").allowed is False
    assert evaluate(doc(allow("dynamodb:Query", f"{T}/index/*")), "dynamodb:Query", f"{T}/index/GSI1").allowed
    assert not evaluate(doc(allow("dynamodb:Query", T)), "dynamodb:Query", f"{T}/index/GSI1").allowed


def test_glob_question_mark_and_regex_characters() -> None:
    assert glob_match("a?c", "abc") and not glob_match("a?c", "abbc")
    assert glob_match("KEY#*", "KEY#x.y(z)") and not glob_match("a.c", "abc")


def test_for_all_values_string_like_on_leading_keys() -> None:
    policy = doc(allow(ForAllValues__StringLike={"dynamodb:LeadingKeys": ["IDEM#*", "KEY#*"]}))
    assert evaluate(policy, "dynamodb:GetItem", T, keys("IDEM#a")).allowed
    assert evaluate(policy, "dynamodb:GetItem", T, keys("IDEM#a", "KEY#b")).allowed
    assert not evaluate(policy, "dynamodb:GetItem", T, keys("IDEM#a", "TNT#b")).allowed
    assert not evaluate(policy, "dynamodb:GetItem", T, keys("TNT#b")).allowed


def test_for_all_values_holds_when_the_key_is_absent() -> None:
    """AWS: ForAllValues is true for an empty or missing key (so a Scan passes such a grant)."""
    policy = doc(allow(ForAllValues__StringLike={"dynamodb:LeadingKeys": ["IDEM#*"]}))
    assert evaluate(policy, "dynamodb:GetItem", T, {}).allowed
    assert evaluate(policy, "dynamodb:GetItem", T, keys()).allowed


def test_for_any_value_needs_one_match_and_fails_when_absent() -> None:
    policy = doc(allow(ForAnyValue__StringEquals={"dynamodb:LeadingKeys": ["A"]}))
    assert evaluate(policy, "dynamodb:GetItem", T, keys("B", "A")).allowed
    assert not evaluate(policy, "dynamodb:GetItem", T, keys("B")).allowed
    assert not evaluate(policy, "dynamodb:GetItem", T, {}).allowed


def test_conditions_are_anded_values_ored() -> None:
    policy = doc(
        allow(
            ForAllValues__StringLike={"dynamodb:LeadingKeys": ["TNT#*", "KEY#*"]},
            ForAllValues__StringNotLike={"dynamodb:LeadingKeys": ["TNT#*#*"]},
        )
    )
    assert evaluate(policy, "dynamodb:GetItem", T, keys("TNT#t")).allowed
    assert evaluate(policy, "dynamodb:GetItem", T, keys("KEY#k")).allowed
    assert not evaluate(policy, "dynamodb:GetItem", T, keys("TNT#t#USR#u")).allowed


def test_single_valued_operators() -> None:
    policy = doc(allow(StringEquals={"aws:RequestedRegion": "us-east-1"}))
    assert evaluate(policy, "dynamodb:GetItem", T, {"aws:RequestedRegion": ["us-east-1"]}).allowed
    assert not evaluate(policy, "dynamodb:GetItem", T, {"aws:RequestedRegion": ["eu-west-1"]}).allowed
    assert not evaluate(policy, "dynamodb:GetItem", T, {}).allowed
    exists = doc(allow(StringEqualsIfExists={"aws:RequestedRegion": "us-east-1"}))
    assert evaluate(exists, "dynamodb:GetItem", T, {}).allowed
    negated = doc(allow(StringNotEquals={"aws:RequestedRegion": "eu-west-1"}))
    assert evaluate(negated, "dynamodb:GetItem", T, {}).allowed


def test_matches_name_what_matched() -> None:
    policy = doc(
        allow(
            ["dynamodb:GetItem", "dynamodb:Put*"],
            ForAllValues__StringLike={"dynamodb:LeadingKeys": ["A*", "B*"]},
        )
    )
    [match] = evaluate(policy, "dynamodb:PutItem", T, keys("A1")).matches
    assert (match.actions, match.resources, match.key_patterns) == (("dynamodb:Put*",), (T,), ("A*",))


@pytest.mark.parametrize(
    "statement",
    [
        allow(NumericLessThan={"x": "1"}),
        allow(StringEquals={"dynamodb:LeadingKeys": "A"}),  # multivalued key without a qualifier
        allow(resource="arn:aws:dynamodb:*:*:table/${aws:username}"),
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"},
    ],
)
def test_anything_else_is_refused_loudly(statement: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        evaluate(doc(statement), "dynamodb:GetItem", T, keys("A"))
