"""The HTTP query door: JSON in, the pipeline's answer out.

It only translates: it authenticates the bearer token, validates the body's shape and builds a
`QueryRequest`; deciding what the statement may see is the pipeline's job.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from aiohttp import web

from proxy.errors import AuthenticationFailed, BadRequest, RequestTooLarge
from proxy.http.keys import PIPELINE, PRINCIPALS, SETTINGS
from proxy.identity.principals import Principal
from proxy.pipeline import QueryRequest, resolve_purpose

routes = web.RouteTableDef()


def authenticate(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("missing credentials: send 'Authorization: Bearer <token>'")
    return request.app[PRINCIPALS].authenticate(token.strip())


@routes.get("/v1/whoami")
async def whoami(request: web.Request) -> web.Response:
    principal = authenticate(request)
    purpose = resolve_purpose(principal, request.query.get("purpose"))
    return web.json_response(
        {
            "principal": principal.name,
            "roles": list(principal.roles),
            "purposes": list(principal.purposes),
            "purpose": purpose,
            "attributes": dict(principal.attributes),
        }
    )


@routes.post("/v1/query")
async def query(request: web.Request) -> NoReturn:
    principal = authenticate(request)
    body = await _json_object(request)
    sql, params, stated = _query_fields(body)
    purpose = resolve_purpose(principal, stated)
    await request.app[PIPELINE].run(
        QueryRequest(principal, purpose, sql, params, "http", request.remote)
    )


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise RequestTooLarge(
            "request body larger than http.max_body_bytes "
            f"({request.app[SETTINGS].http.max_body_bytes} bytes)"
        ) from None
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.__class__.__name__}") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with 'sql', 'params' and 'purpose'")
    return body


def _query_fields(body: dict[str, Any]) -> tuple[str, tuple[object, ...], str | None]:
    unknown = sorted(set(body) - {"sql", "params", "purpose"})
    if unknown:
        raise BadRequest(f"unknown field '{unknown[0]}': expected sql, params, purpose")
    sql, params, purpose = body.get("sql"), body.get("params", []), body.get("purpose")
    if not isinstance(sql, str) or not sql.strip():
        raise BadRequest("'sql' must be a non-empty string")
    if not isinstance(params, list):
        raise BadRequest("'params' must be a JSON array of values for $1, $2, ...")
    if purpose is not None and not isinstance(purpose, str):
        raise BadRequest("'purpose' must be a string")
    return sql, tuple(params), purpose
