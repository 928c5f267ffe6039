"""RFC 7386 JSON Merge Patch, pure: the algorithm of PATCH /v1/users/{user_id}/metadata.

Objects merge recursively, `null` deletes a key, anything else (arrays, strings, numbers,
booleans) replaces. A patch that is not an object replaces the target whole (RFC 7386 §2);
for a metadata field, which must stay an object, the caller applies `merge_object`: a `null`
patch clears the field to `{}` (as the PATCH's `null` does), any other non-object is refused
by the request model before it gets here.
"""

from typing import Any


def merge(target: Any, patch: Any) -> Any:
    """MergePatch(Target, Patch) exactly as RFC 7386 §2's pseudocode; neither argument is mutated."""
    if not isinstance(patch, dict):
        return patch
    result: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def merge_object(target: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    """A metadata field merged with a patch: always an object (`null` clears it to `{}`)."""
    if patch is None:
        return {}
    result: dict[str, Any] = merge(target, patch)  # an object patch always gives an object
    return result
