"""IAM, proven from the calls: every AWS call a function makes in the tests is evaluated against
that function's role as SAM translates template.yaml (tests/iam/roles.py), with the actions AWS
really checks (tests/iam/requests.py), by an evaluator of exactly the policy language the template
uses (tests/iam/policy.py). See docs/SECURITY.md, "IAM, proven from the calls"."""
