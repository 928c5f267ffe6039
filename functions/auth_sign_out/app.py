"""POST /v1/auth/sign-out: end this session (access token)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from hellojohn import account, auth
from hellojohn.http import entry, error_responses, make_app

app = make_app()


@app.post(
    "/v1/auth/sign-out", status_code=204, tags=["Auth"], summary="Sign out", responses=error_responses()
)
def sign_out() -> Response[None]:
    claims = auth.access_token(app.current_event)
    account.sign_out(claims)
    return Response(status_code=204, body="")


lambda_handler: Any = entry(app)
