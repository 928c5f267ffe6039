"""OPTIONS on every path: the CORS preflight (each actual response then grants or withholds the origin)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from hellojohn.edge import cors
from hellojohn.edge.resolver import entry, make_app

app = make_app()


@app.route(".+", method="OPTIONS", include_in_schema=False)
def preflight() -> Response[None]:
    return Response(status_code=204, headers=cors.preflight(app.current_event.headers))


lambda_handler: Any = entry(app)
