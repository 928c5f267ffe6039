"""POST /v1/auth/sign-in: email and password for a session (publishable key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, device_of, entry, error_responses, make_app
from hellojohn.models import SelfUser, SignIn, SignInResult, view_of
from hellojohn.rules import account

app = make_app()


@app.post("/v1/auth/sign-in", tags=["Auth"], summary="Sign in", responses=error_responses(409))
def sign_in(body: Annotated[SignIn, Body()]) -> SignInResult:
    caller: KeyCaller = caller_of(app)
    result = account.sign_in(caller.tenant, body, device_of(app))
    return SignInResult(user=view_of(SelfUser, result.user), session=result.session)


lambda_handler: Any = entry(app, auth.publishable_key, needs=("dynamodb", "tokens", "passwords", "email"))
