"""The listening socket `mockidp.server.bind` makes: connections accepted on it must have TCP_NODELAY.

asyncio sets TCP_NODELAY only on sockets created with proto IPPROTO_TCP. Without it, uvicorn's two writes per
response (head, then body) meet the client's delayed ACK and every keep-alive request after the first waits
~40 ms (on one core: 723 client_credentials tokens/s before the fix, 1,752 after; see bench/README.md).
"""

from __future__ import annotations

import asyncio
import socket

from mockidp.server import bind


def test_accepted_connections_have_nodelay() -> None:
    async def accepted_nodelay() -> int:
        sock = bind("127.0.0.1", 0)
        result: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            result.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=sock)  # as uvicorn serves a socket it is given
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            nodelay = await asyncio.wait_for(result, 10)
            writer.close()
        return nodelay

    assert asyncio.run(accepted_nodelay()) == 1
