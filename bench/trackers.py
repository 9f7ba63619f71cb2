"""Trackers on loopback for the postback benchmark: a process of its own
(so that the producer's threads do not delay it) serving one port per
tracker, with HTTP/1.1 keep-alive. Each records when every GET arrived,
keyed by its `click` parameter.

    python3 trackers.py ok ok ... slow fail

prints one JSON line, the ports in the order given, then serves until
killed. Modes: `ok` answers 200 at once, `slow` answers 200 after 10 s,
`fail` answers 503 at once. `GET /_hits` on any port answers every hit so
far as `[[port, click, arrived_ms], ...]`.
"""

import asyncio
import json
import sys
import time
from urllib.parse import parse_qs, urlsplit

HITS = []


def handler(port, mode):
    async def serve(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.time() * 1000
                target = head.split(b" ", 2)[1].decode()
                if target == "/_hits":
                    body = json.dumps(HITS).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                    await writer.drain()
                    continue
                click = parse_qs(urlsplit(target).query).get("click", [""])[0]
                HITS.append([port, click, arrived])
                if mode == "slow":
                    await asyncio.sleep(10)
                status = b"503 Service Unavailable" if mode == "fail" else b"200 OK"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return serve


async def main(modes):
    servers = []
    for mode in modes:
        holder = {}
        server = await asyncio.start_server(lambda r, w, h=holder, m=mode: h["serve"](r, w), "127.0.0.1", 0,
                                            backlog=1024)
        port = server.sockets[0].getsockname()[1]
        holder["serve"] = handler(port, mode)
        servers.append((server, port))
    print(json.dumps([port for _, port in servers]), flush=True)
    await asyncio.gather(*(s.serve_forever() for s, _ in servers))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
