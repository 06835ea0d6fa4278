"""The do-nothing ASGI app: the floor every benchmark is measured against.

It reads the request body and answers 200 `{}` with the same headers
codestar-local sends, and nothing else.
"""


async def app(scope, receive, send):
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"Content-Type", b"application/x-amz-json-1.0"),
                (b"x-amzn-RequestId", b"00000000-0000-0000-0000-000000000000"),
                (b"content-length", b"2"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})
