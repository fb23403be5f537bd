"""The fake Bot API behaves like Telegram for the real python-telegram-bot stack.

A tiny echo bot written here (/start shows an inline keyboard, text is echoed back escaped, a
button press is answered and edits the message) runs through PTB's own HTTP code against the
fake. Refusals are provoked through PTB's Bot directly, so each test shows exactly which call
Telegram would refuse and how.
"""

from __future__ import annotations

import asyncio
import html
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import aiohttp.web
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.playground.botapi import FakeTelegram, FormattingError, make_png, parse_html, running_fake

WEBHOOK_SECRET = "s3cret-token_for-tests"


# --- the echo bot ------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Skip", callback_data="skip")],
            [InlineKeyboardButton("Docs", url="https://example.org")],
        ]
    )
    await update.effective_message.reply_text(
        "<b>Welcome</b>, pick one", parse_mode="HTML", reply_markup=keyboard
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(
        f"You said: <i>{html.escape(update.effective_message.text)}</i>", parse_mode="HTML"
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Skipped it")
    await query.edit_message_text("Skipped ✔")


def echo_application(fake: FakeTelegram, **builder_options) -> Application:
    builder = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
    )
    if "rate_limiter" in builder_options:
        builder = builder.rate_limiter(builder_options["rate_limiter"])
    application = builder.build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    return application


@asynccontextmanager
async def polling(application: Application) -> AsyncIterator[Application]:
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def fake():
    async with running_fake() as fake:
        yield fake


@pytest.fixture
async def echo_bot(fake):
    async with polling(echo_application(fake)) as application:
        yield application


@pytest.fixture
async def bot(fake):
    """PTB's Bot on its own, to make calls (good and bad) by hand."""
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


@pytest.fixture
def alice(fake):
    return fake.person("Alice", username="alice", language_code="en", started=True)


async def raw_call(fake: FakeTelegram, method: str, **params) -> tuple[int, dict]:
    """A JSON call straight to the fake, for requests PTB would never build."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{fake.token}/{method}", json=params) as response,
    ):
        return response.status, await response.json()


def last_rejection(fake: FakeTelegram) -> str:
    assert fake.rejected_calls, "expected the fake to refuse a call"
    return fake.rejected_calls[-1].description


# --- the round trips ---------------------------------------------------------------------------


async def test_echo_round_trip_escapes_html(fake, echo_bot):
    alice = fake.person("Alice", username="alice")
    await alice.send("1 < 2 & <b>bold?</b>")
    reply = await alice.wait_for_message(contains="You said")
    assert reply.text == "You said: 1 < 2 & <b>bold?</b>"
    assert reply.html == "You said: <i>1 &lt; 2 &amp; &lt;b&gt;bold?&lt;/b&gt;</i>"
    assert reply.entities == [{"type": "italic", "offset": 10, "length": 20}]
    assert fake.bot_user["can_read_all_group_messages"] is False
    await fake.wait_idle()
    fake.assert_no_rejected_calls()


async def test_button_press_is_answered_and_edits_the_message(fake, echo_bot):
    alice = fake.person("Alice")
    await alice.command("/start")
    menu = await alice.wait_for_message(contains="Welcome")
    assert menu.buttons == [[("Skip", "skip")], [("Docs", "https://example.org")]]
    assert menu.entities[0]["type"] == "bold"

    await alice.press(menu, "Skip")
    edited = await alice.wait_for_edit(menu)
    assert edited is menu and menu.text == "Skipped ✔" and menu.buttons == []
    await fake.wait_idle()
    [answer] = alice.callback_answers
    assert answer.text == "Skipped it" and answer["show_alert"] is False
    with pytest.raises(AssertionError, match="no button 'Missing'"):
        await alice.press(menu, "Missing")
    fake.assert_no_rejected_calls()


async def test_a_forged_callback_and_a_second_answer_are_handled_like_telegram(fake, bot, alice):
    sent = await bot.send_message(
        alice.chat_id,
        "Choose",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    update = await alice.press_data(sent, b"\xff forged")
    query_id = update["callback_query"]["id"]
    assert update["callback_query"]["data"] == "\ufffd forged"
    assert await bot.answer_callback_query(query_id, text="ok")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id, text="again")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")


async def test_a_press_the_bot_received_but_never_answered_fails_the_test(fake, bot, alice):
    sent = await bot.send_message(
        alice.chat_id,
        "Choose",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    update = await alice.press(sent, "A")
    assert fake.unanswered_callback_queries() == []  # not received yet: nothing owed
    (received,) = await bot.get_updates(offset=update["update_id"], timeout=1)
    assert fake.unanswered_callback_queries() == []  # fetched, but the bot may not have it yet
    await bot.get_updates(offset=update["update_id"] + 1, timeout=0)  # confirmed: received
    with pytest.raises(AssertionError, match="button press never answered"):
        fake.assert_no_rejected_calls()
    assert await bot.answer_callback_query(received.callback_query.id)
    fake.assert_no_rejected_calls()


# --- refusals ----------------------------------------------------------------------------------


async def test_unescaped_html_is_refused_with_telegram_wording(fake, bot, alice):
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(alice.chat_id, "Hello <foo> there", parse_mode="HTML")
    assert last_rejection(fake) == (
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 6'
    )
    rejected = fake.rejected_calls[-1]
    assert rejected.method == "sendMessage" and rejected.params["text"] == "Hello <foo> there"
    with pytest.raises(
        BadRequest, match=r"(?i)can't find end tag corresponding to start tag \"b\""
    ):
        await bot.send_message(alice.chat_id, "<b>never closed", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(alice.chat_id, "Q&A", parse_mode="HTML")
    with pytest.raises(AssertionError, match="3 call"):
        fake.assert_no_rejected_calls()
    fake.clear_rejected_calls()
    assert alice.messages == []


async def test_text_limits_count_after_entity_parsing(fake, bot, alice):
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(alice.chat_id, "x" * 4097)
    # 4096 visible characters are fine even though the HTML source is longer.
    await bot.send_message(alice.chat_id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert len(alice.last_message.text) == 4096
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(alice.chat_id, "  <b> </b> ", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(alice.chat_id, make_png(), caption="c" * 1025)


async def test_callback_data_over_64_bytes_is_refused(fake, bot, alice):
    too_long = "é" * 33  # 33 characters, 66 bytes
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=too_long)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(alice.chat_id, "Pick", reply_markup=keyboard)
    assert fake.rejected_calls[-1].kind == "invalid"


async def test_unknown_and_missing_parameters_are_refused(fake, bot, alice):
    with pytest.raises(BadRequest, match=r'(?i)unknown parameter "colour"'):
        await bot.send_message(alice.chat_id, "hi", api_kwargs={"colour": "red"})
    status, body = await raw_call(fake, "sendMessage", chat_id=alice.chat_id)
    assert (status, body["description"]) == (
        400,
        'Bad Request: required parameter "text" is missing',
    )
    status, body = await raw_call(
        fake, "sendMessage", chat_id=alice.chat_id, text="x", message_thread_id="soon"
    )
    assert status == 400 and "must be Integer, got String 'soon'" in body["description"]
    status, body = await raw_call(fake, "SENDMESSAGE", chat_id=alice.chat_id, text="any case")
    assert status == 200 and body["result"]["text"] == "any case"
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "who?")
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert [(call.method, call.kind) for call in fake.rejected_calls] == [
        ("sendMessage", "invalid"),
        ("sendMessage", "invalid"),
        ("sendMessage", "invalid"),
        ("sendMessage", "state"),
        ("sendTelepathy", "invalid"),
    ]
    assert fake.rejected_calls[-1].error_code == 404


async def test_nested_objects_are_checked_field_by_field(fake, bot, alice):
    two_actions = {"text": "a", "callback_data": "a", "url": "https://x.y"}
    _, body = await raw_call(
        fake,
        "sendMessage",
        chat_id=alice.chat_id,
        text="x",
        reply_markup={"inline_keyboard": [[two_actions]]},
    )
    assert "exactly one of the optional action fields" in body["description"]
    _, body = await raw_call(
        fake,
        "sendMessage",
        chat_id=alice.chat_id,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "a", "callbak_data": "a"}]]},
    )
    assert "inline_keyboard[0][0].callbak_data: unknown field" in body["description"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Start", "Begin")])
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMANDS_TOO_MUCH"):
        await bot.set_my_commands([(f"c{i}", "d") for i in range(101)])
    assert await bot.set_my_commands([("start", "Begin"), ("help", "Help me")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert len(fake.rejected_calls) == 4


async def test_edits_and_deletes_follow_telegram_rules(fake, bot, alice):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(
        alice.chat_id, "<b>one</b>", parse_mode="HTML", reply_markup=markup
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>one</b>", alice.chat_id, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    await bot.edit_message_reply_markup(alice.chat_id, sent.message_id)  # drops the keyboard
    assert alice.last_message.buttons == [] and alice.last_message.edit_count == 1
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("two", alice.chat_id, 9999)
    assert await bot.delete_message(alice.chat_id, sent.message_id)
    assert alice.last_message.deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(alice.chat_id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("three", alice.chat_id, sent.message_id)


# --- getUpdates --------------------------------------------------------------------------------


async def test_get_updates_offsets_confirm_and_forget(fake, bot, alice):
    for text in ("one", "two", "three"):
        await alice.send(text)
    updates = await bot.get_updates()
    ids = [update.update_id for update in updates]
    assert [u.message.text for u in updates] == ["one", "two", "three"]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[:1]
    # Fetching does not confirm; an offset does, for every update below it.
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert await bot.get_updates(offset=0) == ()

    for text in ("four", "five", "six"):
        await alice.send(text)
    [last] = await bot.get_updates(offset=-1)
    assert last.message.text == "six" and last.update_id > ids[2]
    assert [u.message.text for u in await bot.get_updates()] == ["six"]  # the rest forgotten


async def held_open(fake: FakeTelegram, bot: Bot, call: asyncio.Task, nth: int) -> bool:
    """Whether the fake holds the `nth` call to getUpdates (from 1) unanswered while a later call
    goes there and back: the order of events, not a stopwatch, shows it waits."""
    await fake.wait_until(lambda: len(fake.calls_to("getUpdates")) >= nth)
    await bot.get_me()
    return not call.done() and fake.calls_to("getUpdates")[nth - 1].ok is None


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake, bot, alice):
    # Nothing to fetch: held open, then answered empty when its timeout ends.
    poll = asyncio.create_task(bot.get_updates(timeout=1))
    assert await held_open(fake, bot, poll, nth=1)
    assert await poll == ()
    assert fake.calls_to("getUpdates")[0].result == []

    # An update ends a waiting poll at once: its timeout (60 s) is far beyond what wait_until
    # waits for (5 s), so only the update's arrival can have answered it.
    poll = asyncio.create_task(bot.get_updates(timeout=60))
    assert await held_open(fake, bot, poll, nth=2)
    await alice.send("wake up")
    await fake.wait_until(poll.done)
    [update] = poll.result()
    assert update.message.text == "wake up"


async def test_a_second_poller_ends_the_first_which_is_a_mistake_only_if_it_still_listens(
    fake, bot
):
    # A bot that stops cancels its long poll; its next start polls again: nobody is refused.
    abandoned = asyncio.create_task(bot.get_updates(timeout=60))
    assert await held_open(fake, bot, abandoned, nth=1)
    abandoned.cancel()
    assert await bot.get_updates(timeout=0) == ()
    first_call = fake.calls_to("getUpdates")[0]
    await fake.wait_until(lambda: first_call.abandoned or first_call.ok is not None)
    assert fake.rejected_calls == []

    # Two instances polling at once: the older one is told, as Telegram tells it.
    first = asyncio.create_task(bot.get_updates(timeout=60))
    assert await held_open(fake, bot, first, nth=3)
    async with Bot(fake.token, base_url=fake.base_url) as other_instance:
        assert await other_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await first
    assert [call.error_code for call in fake.clear_rejected_calls()] == [409]


async def test_get_updates_is_refused_while_a_webhook_is_set(fake, bot):
    await bot.set_webhook("https://bot.example.org/hook", secret_token=WEBHOOK_SECRET)
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "https://bot.example.org/hook"
    await bot.delete_webhook()
    assert await bot.get_updates() == ()
    fake.clear_rejected_calls()


# --- webhook -----------------------------------------------------------------------------------


async def test_webhook_delivery_carries_the_secret_token(fake):
    application = echo_application(fake)
    port = free_port()
    await application.initialize()
    await application.start()
    await application.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        secret_token=WEBHOOK_SECRET,
        webhook_url=f"http://127.0.0.1:{port}/hook",
    )
    try:
        alice = fake.person("Alice")
        await alice.send("via webhook")
        reply = await alice.wait_for_message(contains="You said")
        assert "via webhook" in reply.text
        delivery = fake.webhook_deliveries[-1]
        assert delivery.status == 200 and delivery.secret_token_sent == WEBHOOK_SECRET
        assert fake.webhook_url == f"http://127.0.0.1:{port}/hook"

        forged = {"message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
        assert await fake.deliver_to_webhook(forged, secret_token="wrong") == 403
        assert await fake.deliver_to_webhook(forged, secret_token=None) == 403
        await fake.wait_idle()
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    fake.assert_no_rejected_calls()


# --- failures ----------------------------------------------------------------------------------


# PTB itself reads RetryAfter.retry_after, which warns about its future type.
RETRY_AFTER_WARNING = "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"


@pytest.mark.filterwarnings(RETRY_AFTER_WARNING)
async def test_flood_error_is_retried_by_the_rate_limiter(fake):
    application = echo_application(fake, rate_limiter=AIORateLimiter(max_retries=2))
    async with polling(application):
        alice = fake.person("Alice")
        fake.fail_next("sendMessage", retry_after=1)
        await alice.send("hello")
        reply = await alice.wait_for_message(contains="hello", timeout=5)
        assert reply.text == "You said: hello"
    # Like Telegram, the fake refuses the chat again until retry_after has passed: one refusal,
    # then the reply accepted, shows the limiter waited it out before retrying.
    [refused] = fake.rejected_calls
    assert refused.error_code == 429 and refused.kind == "injected"
    assert [call.ok for call in fake.calls_to("sendMessage")] == [False, True]
    fake.assert_no_rejected_calls()  # deliberate failures are not the bot's fault


@pytest.mark.filterwarnings(RETRY_AFTER_WARNING)
async def test_flood_limit_answers_429_with_retry_after(fake, bot, alice):
    fake.flood_limit(per_chat_per_second=1)
    await bot.send_message(alice.chat_id, "first")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.chat_id, "second")
    refused = fake.rejected_calls[-1]
    assert (refused.description, refused.kind) == ("Too Many Requests: retry after 1", "flood")


async def test_blocked_bot_gets_forbidden_and_a_my_chat_member_update(fake, bot, alice):
    alice.block_bot()
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(alice.chat_id, "are you there?")
    [update] = await bot.get_updates()
    assert update.my_chat_member.new_chat_member.status == "kicked"
    alice.unblock_bot()
    await bot.send_message(alice.chat_id, "welcome back")
    stranger = fake.person("Stranger")
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(stranger.chat_id, "hi")


# --- files -------------------------------------------------------------------------------------


async def test_files_sent_by_the_bot_can_be_read_back(fake, bot, alice):
    picture = make_png(16, 9)
    sent = await bot.send_photo(alice.chat_id, picture, caption="<b>chart</b>", parse_mode="HTML")
    shown = alice.last_message
    assert shown.photo.data == picture and shown.text == "chart"
    assert (sent.photo[-1].width, sent.photo[-1].height) == (16, 9)
    downloaded = await (await bot.get_file(sent.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == picture

    await bot.send_document(alice.chat_id, b"a,b\n1,2\n", filename="report.csv")
    assert alice.last_message.document.data == b"a,b\n1,2\n"
    assert alice.last_message.document.filename == "report.csv"
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(alice.chat_id, b"not an image")

    await alice.send_document("notes.txt", b"from alice", mime_type="text/plain")
    [update] = await bot.get_updates()
    received = await (await bot.get_file(update.message.document.file_id)).download_as_bytearray()
    assert bytes(received) == b"from alice"


async def test_media_group_uploads_every_file(fake, bot, alice):
    from telegram import InputMediaDocument

    sent = await bot.send_media_group(
        alice.chat_id,
        [
            InputMediaDocument(b"one", filename="1.txt", caption="first"),
            InputMediaDocument(b"two", filename="2.txt"),
        ],
    )
    assert len(sent) == 2 and sent[0].media_group_id == sent[1].media_group_id
    assert [m.document.data for m in alice.messages] == [b"one", b"two"]


# --- people ------------------------------------------------------------------------------------


async def test_what_people_send_reaches_the_bot_as_valid_updates(fake, bot, alice):
    await alice.send_sticker("🎉")
    await alice.send_photo(make_png(3, 3), caption="look")
    await alice.send_voice()
    await alice.send_location(1.5, 2.5)
    await alice.send_contact()
    await alice.send_poll("Lunch?", ["Pizza", "Soup"])
    typed = await alice.send("see https://example.org @bobby_k /help")
    await alice.edit(typed, "edited text")
    updates = await bot.get_updates()
    messages = [update.effective_message for update in updates]
    assert messages[0].sticker.emoji == "🎉"
    assert messages[1].photo[-1].width == 3 and messages[1].caption == "look"
    assert messages[2].voice.mime_type == "audio/ogg"
    assert messages[3].location.latitude == 1.5
    assert messages[4].contact.user_id == alice.id
    assert messages[5].poll.options[1].text == "Soup"
    assert [e.type for e in messages[6].entities] == ["url", "mention", "bot_command"]
    assert updates[7].edited_message.text == "edited text"
    assert updates[7].edited_message.message_id == messages[6].message_id


async def test_polls_collect_answers(fake, bot, alice):
    sent = await bot.send_poll(alice.chat_id, "Ready?", ["Yes", "No"], is_anonymous=False)
    await alice.answer_poll(alice.last_message, [0])
    answer, state = await bot.get_updates()
    assert answer.poll_answer.option_ids == (0,) and answer.poll_answer.user.id == alice.id
    assert state.poll.options[0].voter_count == 1
    stopped = await bot.stop_poll(alice.chat_id, sent.message_id)
    assert stopped.is_closed
    with pytest.raises(AssertionError, match="closed"):
        await alice.answer_poll(alice.last_message, [1])


async def test_injected_errors_and_slow_answers(fake, bot, alice):
    fake.fail_next("sendMessage", 400, "Bad Request: something odd", chat_id=alice)
    with pytest.raises(BadRequest, match="Something odd"):
        await bot.send_message(alice.chat_id, "first")
    await bot.send_message(alice.chat_id, "second")
    fake.slow("sendChatAction", 1.0)
    action = asyncio.create_task(bot.send_chat_action(alice.chat_id, "typing"))
    await fake.wait_until(lambda: fake.calls_to("sendChatAction"))
    await bot.get_me()  # a later call goes there and back while the slow one still waits
    assert not action.done() and alice.chat_actions == []
    assert await action and alice.chat_actions == ["typing"]
    await fake.wait_idle(timeout=2)
    assert [m.text for m in alice.messages] == ["second"]
    fake.assert_no_rejected_calls()


# --- groups ------------------------------------------------------------------------------------


async def test_groups_privacy_mode_and_migration(fake, bot):
    alice = fake.person("Alice")
    group = fake.group("Support team")
    with pytest.raises(Forbidden, match=r"(?i)not a member of the group chat"):
        await bot.send_message(group.chat_id, "hello?")
    await group.add_bot(by=alice)
    kinds = [next(k for k in u.to_dict() if k != "update_id") for u in await bot.get_updates()]
    assert kinds == ["my_chat_member", "message"]

    assert await alice.send("just chatting", chat=group) is None  # privacy mode
    assert await alice.command("/compare", chat=group) is not None
    await bot.send_message(group.chat_id, "Comparing…")
    assert group.last_message.text == "Comparing…"

    old_id = group.chat_id
    new_id = await group.migrate_to_supergroup(by=alice)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(old_id, "still here?")
    assert caught.value.new_chat_id == new_id
    await bot.send_message(new_id, "moved")
    assert [m.text for m in group.messages] == ["Comparing…", "moved"]
    fake.clear_rejected_calls()


# --- the HTML parser on its own ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("é<b>x</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<a href=x", "Unclosed start tag at byte offset 0"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
    ],
)
def test_html_errors(source, error):
    with pytest.raises(FormattingError, match=error.replace("(", r"\(")):
        parse_html(source)


def test_html_entities_and_nesting():
    parsed = parse_html(
        '<b>bold <i>both</i></b> &lt;&#62;&amp;&quot; <a href="https://x.org/?a=1&amp;b=2">link</a>'
        ' <pre><code class="language-python">print()</code></pre>'
        " <blockquote expandable>q</blockquote> <tg-spoiler>s</tg-spoiler> 👍<u>u</u>"
    )
    assert parsed.text == 'bold both <>&" link print() q s 👍u'
    types = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert ("bold", 0, 9) in types and ("italic", 5, 4) in types
    assert ("underline", 34, 1) in types  # 👍 counts as two UTF-16 units
    link = next(e for e in parsed.entities if e["type"] == "text_link")
    assert link["url"] == "https://x.org/?a=1&b=2"
    assert next(e for e in parsed.entities if e["type"] == "pre")["language"] == "python"
    assert any(e["type"] == "expandable_blockquote" for e in parsed.entities)


async def test_webhook_updates_arrive_side_by_side_and_failed_posts_come_again(fake, bot):
    """Up to max_connections POSTs at once; a 500 or a POST that times out is delivered again."""
    arrived: list[int] = []
    all_four_open = asyncio.Event()
    first_tries: set[int] = set()

    async def webhook(request: aiohttp.web.Request) -> aiohttp.web.Response:
        update_id = (await request.json())["update_id"]
        arrived.append(update_id)
        if len(arrived) == 4:
            all_four_open.set()
        await all_four_open.wait()  # only returns once four POSTs are open at the same time
        if update_id not in first_tries:
            first_tries.add(update_id)
            if update_id == ids[1]:
                return aiohttp.web.Response(status=500)
            if update_id == ids[2]:
                await asyncio.sleep(5)  # longer than the fake's webhook timeout
        return aiohttp.web.Response()

    server = aiohttp.web.Application()
    server.router.add_post("/hook", webhook)
    runner = aiohttp.web.AppRunner(server)
    await runner.setup()
    port = free_port()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        fake.webhook_timeout = 0.5
        alice = fake.person("Alice")
        ids = [(await alice.send(f"part {n}"))["update_id"] for n in range(4)]
        await bot.set_webhook(
            f"http://127.0.0.1:{port}/hook", secret_token=WEBHOOK_SECRET, max_connections=4
        )
        await fake.wait_until(lambda: set(ids) <= fake.delivered_update_ids, timeout=10)
        assert sorted(arrived[:4]) == sorted(ids)  # all four were open at once
        assert sorted(arrived[4:]) == sorted(ids[1:3])  # the failed two came again
        failed = [d for d in fake.webhook_deliveries if d.status != 200]
        assert {d.update_id for d in failed} == {ids[1], ids[2]}
    finally:
        await bot.delete_webhook()
        await runner.cleanup()
