"""`GET /healthz`: is this instance alive, and can it reach its database?

Docker's HEALTHCHECK and load balancers ask it. It is a small tornado server of its own (tornado
comes with PTB's webhook support), on HEALTH_PORT in both polling and webhook mode, so one
health check works whatever the mode, and a stuck webhook port does not hide a healthy bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import tornado.netutil
import tornado.web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tornado.httpserver import HTTPServer

from storage.statement_count import statement_count

log = logging.getLogger(__name__)

# Short: a health check that hangs is as bad as a failed one, and the checker has its own timeout.
DATABASE_TIMEOUT_SECONDS = 2.0


async def database_reachable(engine: AsyncEngine) -> bool:
    """True when `SELECT 1` comes back within DATABASE_TIMEOUT_SECONDS."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means the same thing here: not reachable
        log.warning("health check: database unreachable: %s", type(error).__name__)
        return False
    return True


async def health_report(engine: AsyncEngine | None) -> tuple[HTTPStatus, dict[str, object]]:
    """The status code and body of /healthz; with COUNT_SQL_STATEMENTS, the counts so far."""
    if engine is not None and await database_reachable(engine):
        status, body = HTTPStatus.OK, {"status": "ok", "database": "ok"}
    else:
        status = HTTPStatus.SERVICE_UNAVAILABLE
        body = {"status": "degraded", "database": "unreachable"}
    count = statement_count(engine) if engine is not None else None
    if count is not None:  # read after the check: its SELECT 1 is counted too
        body["sql"] = {"statements": count.statements, "commits": count.commits}
    return status, body


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, current_engine: Callable[[], AsyncEngine | None]) -> None:
        self.current_engine = current_engine

    async def get(self) -> None:
        status, body = await health_report(self.current_engine())
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))


class _QuietApplication(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """A probe every few seconds would drown the update log; failures are logged above."""


@dataclass
class HealthServer:
    server: HTTPServer
    port: int

    async def stop(self) -> None:
        self.server.stop()
        await self.server.close_all_connections()


async def start_health_server(
    current_engine: Callable[[], AsyncEngine | None], port: int, address: str = "0.0.0.0"
) -> HealthServer:
    """Serve /healthz on the port (0: any free one) until `stop()`.

    `current_engine` is asked on every request, so the check follows the engine the bot uses now.
    """
    application = _QuietApplication(
        [(r"/healthz", _HealthHandler, {"current_engine": current_engine})]
    )
    server = HTTPServer(application)
    sockets = tornado.netutil.bind_sockets(port, address=address, family=socket.AF_INET)
    server.add_sockets(sockets)
    bound_port = sockets[0].getsockname()[1]
    log.info("health endpoint on http://%s:%s/healthz", address, bound_port)
    return HealthServer(server, bound_port)
