"""A bare aiohttp server answering `POST /v1/query` with a fixed body: the HTTP framework's
ceiling on this machine, for the benchmark to set the door against.

It reads and parses the request's JSON as the door does, and answers the bytes it was given
(the door's real answer to the lookup), doing no other work. Run by `bench.harness`:
`python -m bench.bare_server PORT ANSWER_FILE`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from aiohttp import web


def make_app(answer: bytes) -> web.Application:
    async def query(request: web.Request) -> web.Response:
        json.loads(await request.read())
        return web.Response(body=answer, content_type="application/json", charset="utf-8")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/v1/query", query)
    app.router.add_get("/healthz", healthz)
    return app


def main(argv: list[str]) -> None:
    port, answer_file = int(argv[0]), Path(argv[1])
    web.run_app(
        make_app(answer_file.read_bytes()),
        host="127.0.0.1",
        port=port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
