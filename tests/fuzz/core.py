"""The fuzzer: schemathesis cases for every operation, each sent with the right credentials, and
checked: never a 5xx, and the response (status, content type, body) as the document says."""

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from requests.structures import CaseInsensitiveDict
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

SECRET, PUBLISHABLE, USER, ANYONE = "secret", "publishable", "user", "anyone"


def caller(method: str, path: str) -> str:
    """Who may call an operation (the contract's table)."""
    if path.startswith(("/v1/users", "/v1/webhooks")):
        return SECRET
    if path in (
        "/v1/auth/sign-in",
        "/v1/auth/refresh",
        "/v1/auth/email/verify",
        "/v1/auth/email/cancel",
        "/v1/auth/email/restore",
    ):
        return PUBLISHABLE
    if path.startswith("/v1/auth/"):
        return USER
    return ANYONE


def document() -> dict[str, Any]:
    """docs/openapi.json, or (before it is generated) the resolvers' own document."""
    if DOCUMENT.exists():
        return dict(json.loads(DOCUMENT.read_text()))
    from scripts import openapi

    return dict(openapi.build())


def with_links(raw: dict[str, Any]) -> dict[str, Any]:
    """The document plus OpenAPI links, so the stateful phase chains create -> read/update/... (users
    and webhook endpoints) and sign-in -> refresh (the links are the fuzzer's; the published
    document stays as generated)."""
    raw = json.loads(json.dumps(raw))
    paths = raw["paths"]

    def op_id(path: str, method: str) -> str:
        return str(paths[path][method]["operationId"])

    user_ops = {f"{m.upper()} {p}": op_id(p, m) for p in paths if "{user_id}" in p for m in paths[p]}
    created = paths["/v1/users"]["post"]["responses"].setdefault("201", {"description": "Created"})
    created["links"] = {
        name.replace(" ", "").replace("/", "_").replace("{", "").replace("}", ""): {
            "operationId": operation,
            "parameters": {"user_id": "$response.body#/id"},
        }
        for name, operation in user_ops.items()
    }
    hook_ops = {f"{m.upper()} {p}": op_id(p, m) for p in paths if "{webhook_id}" in p for m in paths[p]}
    hooked = paths["/v1/webhooks"]["post"]["responses"].setdefault("201", {"description": "Created"})
    hooked["links"] = {
        name.replace(" ", "").replace("/", "_").replace("{", "").replace("}", "").replace("-", "_"): {
            "operationId": operation,
            "parameters": {"webhook_id": "$response.body#/id"},
        }
        for name, operation in hook_ops.items()
    }
    signed = paths["/v1/auth/sign-in"]["post"]["responses"].setdefault("200", {"description": "OK"})
    signed["links"] = {
        "Refresh": {
            "operationId": op_id("/v1/auth/refresh", "post"),
            "requestBody": {"refresh_token": "$response.body#/session/refresh_token"},
        }
    }
    return raw


class Client(Protocol):
    """How requests reach the API: over HTTP (the local runner) or in process (WSGI)."""

    def send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]: ...

    def call(self, case: "OpenApiCase", headers: dict[str, str]) -> Any: ...


@dataclass
class Credentials:
    """The tenant's keys, and signed-in users for the token operations (renewed when spent)."""

    client: Client
    tenant_id: str
    secret_key: str
    publishable_key: str
    _token: str | None = None
    users_made: int = 0
    user_ids: list[str] = field(default_factory=list)

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret_key}", "X-Tenant-ID": self.tenant_id}

    def public(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.publishable_key}", "X-Tenant-ID": self.tenant_id}

    def token(self) -> str:
        """An access token of a fuzzing user of its own, made when the last one was spent (signed
        out, locked by wrong current passwords, disabled...): the demo user is never locked out."""
        if self._token is None:
            self.users_made += 1
            email = f"fuzz-{int(time.time() * 1000)}-{self.users_made}@example.com"
            password = "Fuzzing-Pass-2024!"
            status, body = self.client.send(
                "POST", "/v1/users", {"email": email, "password": password}, self.admin()
            )
            assert status == 201, (status, body)
            status, body = self.client.send(
                "POST", "/v1/auth/sign-in", {"email": email, "password": password}, self.public()
            )
            assert status == 200, (status, body)
            self._token = str(body["session"]["access_token"])
        return self._token

    def spent(self) -> None:
        self._token = None

    def some_user(self, n: int) -> str:
        """The id of one of a few users made for the purpose (in turn)."""
        while len(self.user_ids) < 3:
            status, body = self.client.send(
                "POST",
                "/v1/users",
                {"email": f"target-{len(self.user_ids)}-{time.time_ns()}@example.com"},
                self.admin(),
            )
            assert status == 201, (status, body)
            self.user_ids.append(str(body["id"]))
        return self.user_ids[n % len(self.user_ids)]

    def headers(self, method: str, path: str) -> dict[str, str]:
        who = caller(method, path)
        if who == SECRET:
            return self.admin()
        if who == PUBLISHABLE:
            return self.public()
        if who == USER:
            return {"Authorization": f"Bearer {self.token()}"}
        return {}


@dataclass
class Report:
    requests: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    stateful_steps: int = 0
    failures: list[str] = field(default_factory=list)
    nothing_to_negate: list[str] = field(default_factory=list)  # no parameter or body to make invalid
    stateful_flaky: int = 0  # sequences Hypothesis gave up on (the live state changed under it)

    def add(self, label: str, status: int) -> None:
        self.requests += 1
        self.by_operation[label] += 1
        self.statuses[status] += 1

    def summary(self) -> str:
        lines = [
            f"{self.requests} requests over {len(self.by_operation)} operations "
            f"({self.stateful_steps} of them in stateful runs, {self.stateful_flaky} runs abandoned); "
            f"failures: {len(self.failures)}",
            "statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items())),
        ]
        lines += [f"  {n:5d}  {label}" for label, n in sorted(self.by_operation.items())]
        lines += [f"FAILURE {f}" for f in self.failures[:20]]
        return "\n".join(lines)


def _settings(max_examples: int, seed: int | None) -> Callable[[Any], Any]:
    s = settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=seed is not None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        verbosity=Verbosity.quiet,
    )
    if seed is None:
        return s
    return lambda f: hypothesis.seed(seed)(s(f))


def _send(case: "OpenApiCase", creds: Credentials, client: Client, report: Report) -> Any:
    method, path = case.operation.method.upper(), case.operation.path
    headers = {**case.headers, **creds.headers(method, path)}
    case.headers = CaseInsensitiveDict(headers)
    positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and "user_id" in (case.path_parameters or {}) and report.requests % 3:
        # two valid cases in three name a real user (a random string is only ever a 404)
        case.path_parameters = {**case.path_parameters, "user_id": creds.some_user(report.requests)}
    response = client.call(case, headers)
    report.add(f"{method} {path}", response.status_code)
    if caller(method, path) == USER and response.status_code in (401, 403, 429):
        creds.spent()  # revoked, disabled or locked: the next token operation signs in a new user
    if caller(method, path) == USER and path == "/v1/auth/sign-out" and response.status_code == 204:
        creds.spent()
    if (method, path) == ("DELETE", "/v1/auth/me") and response.status_code in (200, 204):
        creds.spent()  # the account is deleted: its sessions with it
    return response


def fuzz_operations(
    schema: Any, creds: Credentials, client: Client, report: Report, per_operation: int, seed: int | None
) -> None:
    """Every operation, valid and invalid data, `per_operation` examples of each mode."""
    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_one(result.ok(), mode, creds, client, report, per_operation, seed)


def _fuzz_one(
    operation: Any,
    mode: GenerationMode,
    creds: Credentials,
    client: Client,
    report: Report,
    examples: int,
    seed: int | None,
) -> None:
    @_settings(examples, seed)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: "OpenApiCase") -> None:
        response = _send(case, creds, client, report)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # schemathesis' failure group: recorded, the run goes on
            report.failures.append(f"{operation.method.upper()} {operation.path} [{mode}]: {exc}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if mode == GenerationMode.POSITIVE:
            raise
        report.nothing_to_negate.append(f"{operation.method.upper()} {operation.path}")


def fuzz_stateful(
    schema: Any, creds: Credentials, client: Client, report: Report, runs: int, seed: int | None
) -> None:
    """Sequences that follow the links (create a user, then act on it; sign in, then refresh)."""
    machine = schema.as_state_machine()

    class Machine(machine):  # type: ignore[misc, valid-type]
        def call(self, case: "OpenApiCase", **kwargs: Any) -> Any:
            report.stateful_steps += 1
            return _send(case, creds, client, report)

        def validate_response(self, response: Any, case: "OpenApiCase", **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:
                report.failures.append(
                    f"stateful {case.operation.method.upper()} {case.operation.path}: {exc}"
                )

    machine_settings = settings(
        max_examples=1,
        stateful_step_count=8,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    # One sequence per run: the API's state moves on between sequences, which Hypothesis would
    # otherwise take for flaky data generation (it replays prefixes and expects the same draws).
    for i in range(runs):
        if seed is not None:
            Machine._hypothesis_internal_use_seed = seed + i  # what @hypothesis.seed sets
        try:
            hypothesis.stateful.run_state_machine_as_test(Machine, settings=machine_settings)
        except hypothesis.errors.FlakyStrategyDefinition:
            report.stateful_flaky += 1


def load(raw: dict[str, Any], app: Any = None) -> Any:
    schema = schemathesis.openapi.from_dict(with_links(raw))
    if app is not None:
        schema.app = app
    return schema


def run_all(
    raw: dict[str, Any],
    client: Client,
    creds: Credentials,
    *,
    per_operation: int,
    stateful_runs: int,
    seed: int | None,
    app: Any = None,
) -> Report:
    report = Report()
    schema = load(raw, app)
    fuzz_operations(schema, creds, client, report, per_operation, seed)
    if stateful_runs:
        fuzz_stateful(schema, creds, client, report, stateful_runs, seed)
    return report


def operations(raw: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, ops in raw["paths"].items():
        for method in ops:
            yield method.upper(), path
