"""Several `python -m bot` instances in webhook mode behind a round-robin proxy, as a deployment
with a load balancer runs them. Used by bench/instances.py and the kill drill
(tests/support/drill.py, tests/ops/test_drill.py).

Processes are configured through their environment, as an operator runs them; each instance's
log goes to a file in the directory given, for a failure's story.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import aiohttp.web

from bench.processes import free_port

WEBHOOK_SECRET = "bench-secret_token-0123456789"


class BotProcess:
    """One `python -m bot` instance; start, kill, start again."""

    def __init__(self, name: str, environment: dict[str, str], logs: Path) -> None:
        self.name = name
        self.environment = environment
        self.logs = logs
        self.health_port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"{self.name}-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.logs,  # no .env file there
            env={**self.environment, "HEALTH_PORT": str(self.health_port)},
            stdout=log,
            stderr=log,
        )
        log.close()
        await self.wait_healthy()

    async def wait_healthy(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        url = f"http://127.0.0.1:{self.health_port}/healthz"
        async with aiohttp.ClientSession() as client, asyncio.timeout(timeout):
            while True:
                assert self.process is not None and self.process.returncode is None, (
                    f"{self.name} exited at start; see {self.logs}"
                )
                with contextlib.suppress(aiohttp.ClientError):
                    async with client.get(url) as reply:
                        if reply.status == 200:
                            return
                await asyncio.sleep(0.1)

    async def kill(self, signum: int = signal.SIGKILL, timeout: float = 20.0) -> int:  # noqa: ASYNC109
        """Send the signal and wait for the exit; the exit code."""
        assert self.process is not None
        self.process.send_signal(signum)
        async with asyncio.timeout(timeout):
            return await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, TimeoutError):
                await self.kill(signal.SIGTERM)
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


def webhook_environment(proxy_port: int, port: int, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """An instance listening on `port`, telling Telegram the proxy's address."""
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET_TOKEN": secret,
    }


@dataclass
class RoundRobinProxy:
    """A load balancer: each POST goes to the next instance; 502 when that one is down."""

    upstream_ports: list[int]
    port: int = field(default_factory=free_port)
    _runner: aiohttp.web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        turns = itertools.cycle(self.upstream_ports)
        self._client = aiohttp.ClientSession()

        async def forward(request: aiohttp.web.Request) -> aiohttp.web.Response:
            body = await request.read()
            headers = {
                key: value
                for key, value in request.headers.items()
                if key.lower() in ("content-type", "x-telegram-bot-api-secret-token")
            }
            url = f"http://127.0.0.1:{next(turns)}{request.path}"
            try:
                async with self._client.post(url, data=body, headers=headers) as reply:
                    return aiohttp.web.Response(status=reply.status, body=await reply.read())
            except (aiohttp.ClientError, TimeoutError):
                return aiohttp.web.Response(status=502)

        app = aiohttp.web.Application()
        app.router.add_post("/{path:.*}", forward)
        self._runner = aiohttp.web.AppRunner(app)
        await self._runner.setup()
        await aiohttp.web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()
