"""The one private attribute of Powertools the service reads (`hellojohn.edge.resolver.routes_of`): this
fails when an upgrade renames or reshapes it, instead of the SnapStart hook and model building
silently finding no routes."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from hellojohn.edge.resolver import routes_of


def test_routes_of_lists_static_and_dynamic_routes_with_method_path_and_function() -> None:
    app = APIGatewayRestResolver(enable_validation=True)

    @app.get("/v1/static")
    def static() -> dict[str, str]:
        return {}

    @app.post("/v1/items/<item_id>")
    def dynamic(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    found = {(route.method, route.func) for route in routes_of(app)}
    assert found == {("GET", static), ("POST", dynamic)}
    assert all(isinstance(route.path, str) for route in routes_of(app))
