"""The private attributes of Powertools the service reads (`hellojohn.edge.resolver.routes_of`, and a
field's `_type_adapter` in `hellojohn.edge.snapstart`): this fails when an upgrade renames or
reshapes them, instead of the SnapStart hook and model building silently finding no routes."""

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


def test_a_routes_body_and_response_fields_hold_the_type_adapter_the_snapstart_hook_rebuilds() -> None:
    """`hellojohn.edge.snapstart.prepare` rebuilds each route's body and response validators before the
    snapshot through Powertools' `ModelField._type_adapter` (pydantic defers them for our models)."""
    from pydantic import BaseModel, ConfigDict, TypeAdapter

    class Item(BaseModel):
        model_config = ConfigDict(defer_build=True)
        name: str

    app = APIGatewayRestResolver(enable_validation=True)

    @app.post("/v1/items")
    def create(item: Item) -> Item:
        return item

    [route] = routes_of(app)
    for field in (route.body_field, route.dependant.return_param):
        assert field is not None
        assert isinstance(field._type_adapter, TypeAdapter)
        assert field._type_adapter.rebuild() is not False
