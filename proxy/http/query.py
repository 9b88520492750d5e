"""The HTTP query door: JSON in, the pipeline's answer out.

It only translates: it authenticates the bearer token, validates the body's shape and builds a
`QueryRequest`; deciding what the statement may see is the pipeline's job. Nothing a client sent
is repeated in an error message unless it is a plain identifier.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, NoReturn

from aiohttp import web

from proxy.errors import AuthenticationFailed, BadRequest, ProxyError, RequestTooLarge
from proxy.http.encode import json_response, result_body
from proxy.http.keys import JWT_VERIFIER, METRICS, PIPELINE, PRINCIPALS, SETTINGS
from proxy.identity.jwt_tokens import looks_like_jwt
from proxy.identity.principals import UNAUTHENTICATED, Principal
from proxy.pipeline import QueryRequest, resolve_purpose

routes = web.RouteTableDef()

BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")  # RFC 6750 b64token
QUERY_FIELDS = ("sql", "params", "purpose")


def authenticate(request: web.Request) -> Principal:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("missing credentials: send 'Authorization: Bearer <token>'")
    if not BEARER_TOKEN.fullmatch(token):
        raise AuthenticationFailed("the bearer token is not valid")
    if looks_like_jwt(token):  # an end user, signed in through one of the Chamber's apps
        return request.app[JWT_VERIFIER].verify(token).principal
    return request.app[PRINCIPALS].authenticate(token)


@routes.get("/v1/whoami")
async def whoami(request: web.Request) -> web.Response:
    principal = authenticate(request)
    purpose = resolve_purpose(principal, request.query.get("purpose"))
    return json_response(
        {
            "principal": principal.name,
            "roles": list(principal.roles),
            "purposes": list(principal.purposes),
            "purpose": purpose,
            "attributes": dict(principal.attributes),
        }
    )


@routes.post("/v1/query")
async def query(request: web.Request) -> web.Response:
    statement = await _statement_of(request)
    outcome = await request.app[PIPELINE].run(statement)
    if outcome.gaps:
        request.app[METRICS].count_gaps(outcome.gaps)
    return json_response(result_body(outcome.result, outcome.masked, audit_id=outcome.audit_id))


async def _statement_of(request: web.Request) -> QueryRequest:
    """The request as the pipeline takes it; a refusal on the way (credentials, body, purpose)
    is recorded in the audit trail too, with whatever was known of it by then."""
    known = QueryRequest(UNAUTHENTICATED, "", "", (), "http", request.remote)
    started = request.app[PIPELINE].started()
    try:
        principal = authenticate(request)
        known = replace(known, principal=principal)
        body = parse_json_object(await read_body(request))
        sql, params, stated = _query_fields(body)
        known = replace(known, sql=sql, params=params, purpose=stated or "")
        return replace(known, purpose=resolve_purpose(principal, stated))
    except ProxyError as exc:
        await request.app[PIPELINE].record_refusal(known, exc, *started)
        raise


async def read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[SETTINGS].http.max_body_bytes
        raise RequestTooLarge(
            f"request body larger than http.max_body_bytes ({limit} bytes)"
        ) from None


def parse_json_object(
    raw: bytes, expected: str = "a JSON object with 'sql', 'params' and 'purpose'"
) -> dict[str, Any]:
    """Strict JSON: no NaN or Infinity, no duplicate keys, bounded nesting and numbers."""
    try:
        body = json.loads(raw, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"the body is not acceptable JSON: {_json_problem(exc)}") from None
    if not isinstance(body, dict):
        raise BadRequest(f"the body must be {expected}")
    return body


class _JsonProblem(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise _JsonProblem(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _JsonProblem("a key appears twice in one object")
    return dict(pairs)


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, _JsonProblem):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "a number is too long"


def _query_fields(body: dict[str, Any]) -> tuple[str, tuple[object, ...], str | None]:
    unknown = sorted(set(body) - set(QUERY_FIELDS))
    if unknown:
        raise BadRequest(f"unknown field in the body: expected only {', '.join(QUERY_FIELDS)}")
    sql, params, purpose = body.get("sql"), body.get("params", []), body.get("purpose")
    if not isinstance(sql, str) or not sql.strip():
        raise BadRequest("'sql' must be a non-empty string")
    if not isinstance(params, list):
        raise BadRequest("'params' must be a JSON array of values for $1, $2, ...")
    if purpose is not None and not isinstance(purpose, str):
        raise BadRequest("'purpose' must be a string")
    return sql, tuple(params), purpose
