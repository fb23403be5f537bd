"""The playground's web page and the JSON the page reads and posts, on aiohttp.

aiohttp because the local Bot API already runs on it: one web library, one event loop, and the
page's live feed waits on the same change signal the Bot API raises (server-sent events). The
page itself is plain HTML, CSS and JavaScript from static/, with no build step.

Every action the page posts goes through a simulated person (botapi/people.py): it becomes the
update Telegram would send, so the bot cannot tell the page from a Telegram app.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from importlib import resources
from typing import Any

from aiohttp import web

from bot.playground import views
from bot.playground.botapi.people import Group, Person
from bot.playground.world import World

log = logging.getLogger(__name__)

WORLD_KEY = web.AppKey("world", World)
STATIC = resources.files("bot.playground") / "static"
#: A comment line now and then keeps proxies and browsers from closing a quiet event stream.
KEEPALIVE_SECONDS = 15.0
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: A voice note's bytes when the page sends one without a recording (an Ogg page header).
PLACEHOLDER_VOICE = b"OggS\x00playground-voice-note"


@web.middleware
async def _refusals_as_notices(request: web.Request, handler) -> web.StreamResponse:
    """What a Telegram app would not let a person do (press a button on a deleted message, vote
    in a closed poll...) comes back as a short text the page shows, not as a server error."""
    try:
        return await handler(request)
    except (AssertionError, ValueError, KeyError) as refused:
        raise web.HTTPConflict(text=str(refused).splitlines()[0][:300]) from None


def make_app(world: World) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES, middlewares=[_refusals_as_notices])
    app[WORLD_KEY] = world
    app.router.add_get("/", _index)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/files/{file_id}", _file)
    app.router.add_get("/api/state", _state)
    app.router.add_get("/api/chat", _chat)
    app.router.add_get("/api/events", _events)
    app.router.add_post("/api/people", _add_person)
    app.router.add_post("/api/send", _send)
    app.router.add_post("/api/start", _start_link)
    app.router.add_post("/api/press", _press)
    app.router.add_post("/api/vote", _vote)
    app.router.add_post("/api/edit", _edit)
    app.router.add_post("/api/upload", _upload)
    app.router.add_post("/api/block", _block)
    return app


# --- page and files --------------------------------------------------------------------------


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=(STATIC / "index.html").read_text("utf-8"), content_type="text/html")


_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise web.HTTPNotFound()
    suffix = name[name.rfind(".") :]
    return web.Response(
        body=path.read_bytes(), content_type=_CONTENT_TYPES.get(suffix, "application/octet-stream")
    )


async def _file(request: web.Request) -> web.Response:
    """A photo or file from a chat; documents come as downloads under their own name."""
    stored = request.app[WORLD_KEY].fake.files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    headers = {}
    if stored.kind == "document" and stored.filename:
        quoted = stored.filename.replace('"', "")
        headers["Content-Disposition"] = f'attachment; filename="{quoted}"'
    return web.Response(
        body=stored.data,
        content_type=stored.mime_type or "application/octet-stream",
        headers=headers,
    )


# --- reading ---------------------------------------------------------------------------------


async def _state(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    state: dict[str, Any] = {
        "bot": {"username": world.fake.bot_username, "name": world.fake.bot_user["first_name"]},
        "people": views.people_view(world),
        "internal_errors": views.internal_errors(world.fake),
    }
    user_id = request.query.get("person")
    if user_id:
        state["chats"] = views.chats_of(world, int(user_id))
    return web.json_response(state)


async def _chat(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    user_id, chat_id = int(request.query["person"]), int(request.query["chat"])
    if chat_id not in world.fake.chats:
        raise web.HTTPNotFound(text=f"no chat {chat_id}")
    return web.json_response(views.chat_view(world, user_id, chat_id))


async def _events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one "change" whenever the world changes; the page then re-reads."""
    fake = request.app[WORLD_KEY].fake
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    version = 0
    with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
        await response.write(b"event: change\ndata: 0\n\n")
        while True:
            loop = asyncio.get_running_loop()
            started = loop.time()
            await fake.wait_for_change(KEEPALIVE_SECONDS)
            if loop.time() - started >= KEEPALIVE_SECONDS:
                await response.write(b": keep-alive\n\n")
                continue
            # Let a burst of changes (a reply and its buttons) settle into one re-read.
            await asyncio.sleep(0.03)
            version += 1
            await response.write(f"event: change\ndata: {version}\n\n".encode())
    return response


# --- acting ----------------------------------------------------------------------------------


async def _body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="send a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="send a JSON object")
    return body


def _where(world: World, person: Person, chat_id: Any) -> Group | None:
    """The group a person acts in, or None for their private chat with the bot."""
    if chat_id is None or int(chat_id) == person.chat_id:
        return None
    return world.group(int(chat_id))


def _ok(update: Any = None) -> web.Response:
    return web.json_response({"ok": True, "delivered": update is not None})


async def _add_person(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    name = str(body.get("name", "")).strip()
    if not name:
        raise web.HTTPBadRequest(text="a person needs a name")
    person = world.add_person(name, str(body.get("language", "en"))[:10])
    # Newcomers can see the team's group, as when someone is added to it in Telegram.
    for group in world.groups.values():
        await group.add_member(person, by=next(iter(world.people.values())))
    world.save()
    return web.json_response({"id": person.id, "chat_id": person.chat_id})


async def _send(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    person = world.person(int(body["person"]))
    text = str(body.get("text", ""))
    if not text.strip():
        raise web.HTTPBadRequest(text="nothing to send")
    _check_not_blocked(person, body.get("chat"))
    chat = _where(world, person, body.get("chat"))
    reply_to = body.get("reply_to")
    target = chat.chat if chat is not None else person.chat
    update = await person.send(
        text,
        chat=chat,
        reply_to=world.fake.find_message(int(reply_to), default_chat=target) if reply_to else None,
    )
    return _ok(update)


async def _start_link(request: web.Request) -> web.Response:
    """A t.me/<bot>?start=<payload> link: Telegram opens the private chat and sends /start."""
    world = request.app[WORLD_KEY]
    body = await _body(request)
    person = world.person(int(body["person"]))
    _check_not_blocked(person, None)
    payload = str(body.get("payload", ""))
    update = await person.command("/start", payload)
    return web.json_response({"ok": True, "chat_id": person.chat_id, "delivered": bool(update)})


async def _press(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    person = world.person(int(body["person"]))
    chat = world.fake.chats[int(body["chat"])]
    message = world.fake.find_message(int(body["message"]), default_chat=chat)
    return _ok(await person.press(message, callback_data=str(body["data"])))


async def _vote(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    person = world.person(int(body["person"]))
    chat = world.fake.chats[int(body["chat"])]
    message = world.fake.find_message(int(body["message"]), default_chat=chat)
    options = [int(option) for option in body.get("options", [])]
    return _ok(await person.answer_poll(message, options))


async def _edit(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    person = world.person(int(body["person"]))
    chat = world.fake.chats[int(body["chat"])]
    message = world.fake.find_message(int(body["message"]), default_chat=chat)
    text = str(body.get("text", ""))
    if not text.strip():
        raise web.HTTPBadRequest(text="an edited message cannot be empty")
    return _ok(await person.edit(message, text))


async def _upload(request: web.Request) -> web.Response:
    """A photo, a file or a voice note from the page (multipart form)."""
    world = request.app[WORLD_KEY]
    form = await request.post()
    person = world.person(int(str(form["person"])))
    _check_not_blocked(person, form.get("chat"))
    chat = _where(world, person, form.get("chat"))
    kind = str(form.get("kind", "document"))
    caption = str(form.get("caption", "")) or None
    upload = form.get("file")
    data = upload.file.read() if isinstance(upload, web.FileField) else b""
    if kind == "voice":
        update = await person.send_voice(data or PLACEHOLDER_VOICE, chat=chat)
    elif not data:
        raise web.HTTPBadRequest(text="choose a file first")
    elif kind == "photo":
        update = await person.send_photo(data, caption=caption, chat=chat)
    else:
        name = upload.filename if isinstance(upload, web.FileField) else "file"
        mime = upload.content_type if isinstance(upload, web.FileField) else None
        update = await person.send_document(
            name, data, mime_type=mime or "application/octet-stream", caption=caption, chat=chat
        )
    return _ok(update)


async def _block(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    body = await _body(request)
    person = world.person(int(body["person"]))
    update = person.block_bot() if body.get("blocked") else person.unblock_bot()
    return _ok(update)


def _check_not_blocked(person: Person, chat_id: Any) -> None:
    # Telegram's app offers "Unblock" instead of the message box in a blocked bot's chat.
    if person.has_blocked_bot and (chat_id is None or int(chat_id) == person.chat_id):
        raise web.HTTPConflict(text="you blocked the bot: unblock it to write to it")


async def start_site(world: World, host: str, port: int) -> web.AppRunner:
    """Serve the page at host:port; the caller cleans the runner up."""
    runner = web.AppRunner(make_app(world), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
