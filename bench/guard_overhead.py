"""The cost of the request guards alone (web/guard.py), around a trivial ASGI app that reads a one-message
body and answers: `LastResort` (the outermost catch) and `ReadDeadline` (the body deadline: one timer per
body read). CPU time per request, best of 7 x 50,000.

    .venv/bin/python bench/guard_overhead.py
"""

from __future__ import annotations

import asyncio
import time

from mockidp.web.guard import LastResort, ReadDeadline


async def inner(scope, receive, send):
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def receive():
    return {"type": "http.request", "body": b"x", "more_body": False}


async def send(m):
    pass


SCOPE = {"type": "http", "method": "POST", "path": "/oauth2/v1/token"}


async def main():
    for name, app in [
        ("bare", inner),
        ("LastResort", LastResort(inner)),
        ("ReadDeadline", ReadDeadline(inner, 10.0)),
        ("both", LastResort(ReadDeadline(inner, 10.0))),
    ]:
        best = 1e9
        for _ in range(7):
            n = 50000
            t = time.process_time()
            for _ in range(n):
                await app(SCOPE, receive, send)
            best = min(best, (time.process_time() - t) / n)
        print(f"{name:13} {best * 1e6:.2f} us")


if __name__ == "__main__":
    asyncio.run(main())
