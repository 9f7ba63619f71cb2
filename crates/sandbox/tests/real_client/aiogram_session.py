"""A whole session of aiogram 3 (a real Bot API client library, from PyPI)
against tg-sandbox: every method the sandbox serves, called through
aiogram's own methods, and every update the sandbox delivers parsed by
aiogram's own (pydantic, strict) `Update` type.

Usage: python aiogram_session.py API_URL TOKEN BOT_ID
Prints one line `aiogram session ok: ...` and exits 0, or fails loudly.
"""
import asyncio
import json
import sys

from aiohttp import ClientSession, web
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
)
from aiogram.types import (
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)

API_URL, TOKEN, BOT_ID = sys.argv[1], sys.argv[2], int(sys.argv[3])
CHANNEL = {"id": -1001234567890, "title": "My Channel", "type": "channel"}
ANN = {"id": 42, "first_name": "Ann", "username": "ann", "language_code": "en"}
BOB = {"id": 43, "first_name": "Bob", "last_name": "B"}
OWNER = {"id": 1, "first_name": "Owner"}


async def main() -> None:
    received: list[Update] = []
    arrived = asyncio.Event()
    expected = 0

    async def webhook(request: web.Request) -> web.Response:
        assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
        raw = await request.json()
        # The library's own type; a missing field fails here.
        received.append(Update.model_validate(raw, context={"bot": bot}))
        if len(received) >= expected:
            arrived.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    hook_url = f"http://127.0.0.1:{port}/hook"

    server = TelegramAPIServer.from_base(API_URL, is_local=True)
    bot = Bot(TOKEN, session=AiohttpSession(api=server))
    control = ClientSession()

    async def happen(event: dict) -> None:
        async with control.post(f"{API_URL}/_sandbox/bots/{BOT_ID}/events", json=event) as res:
            assert res.status == 200, await res.text()

    me = await bot.get_me()
    assert me.id == BOT_ID and me.is_bot and me.has_main_web_app is False

    assert await bot.set_webhook(
        hook_url,
        secret_token="s3cret",
        max_connections=10,
        allowed_updates=["message", "my_chat_member", "chat_member", "chat_join_request"],
    )
    info = await bot.get_webhook_info()
    assert info.url == hook_url and info.max_connections == 10
    assert info.ip_address == "127.0.0.1"
    assert info.allowed_updates == ["message", "my_chat_member", "chat_member", "chat_join_request"]

    events = [
        {"type": "promote", "chat": CHANNEL, "by": OWNER},
        {"type": "start", "user": ANN, "payload": "Ab12Cd34-click"},
        {"type": "message", "user": ANN, "text": "hello"},
        {"type": "join", "chat": CHANNEL, "user": BOB, "invite_link": "https://t.me/+plain"},
        {"type": "leave", "chat": CHANNEL, "user": BOB},
        {"type": "kick", "chat": CHANNEL, "user": BOB, "by": OWNER},
        {"type": "block", "user": ANN},
        {"type": "unblock", "user": ANN},
    ]
    for event in events:
        await happen(event)

    chat = await bot.get_chat(CHANNEL["id"])
    assert isinstance(chat, ChatFullInfo) and chat.title == "My Channel"
    private = await bot.get_chat(ANN["id"])
    assert private.type == "private" and private.username == "ann"
    mine = await bot.get_chat_member(CHANNEL["id"], BOT_ID)
    assert isinstance(mine, ChatMemberAdministrator) and mine.can_send_welcome_messages
    stranger = await bot.get_chat_member(CHANNEL["id"], ANN["id"])
    assert isinstance(stranger, ChatMemberLeft)

    link = await bot.create_chat_invite_link(CHANNEL["id"], name="ads", creates_join_request=True)
    assert link.invite_link.startswith("https://t.me/+") and link.creates_join_request
    await happen({"type": "join_request", "chat": CHANNEL, "user": ANN, "invite_link": link.invite_link})
    await happen({"type": "join_request", "chat": CHANNEL, "user": BOB})
    assert await bot.approve_chat_join_request(CHANNEL["id"], ANN["id"])
    assert await bot.decline_chat_join_request(CHANNEL["id"], BOB["id"])
    member = await bot.get_chat_member(CHANNEL["id"], ANN["id"])
    assert isinstance(member, ChatMemberMember)
    edited = await bot.edit_chat_invite_link(CHANNEL["id"], link.invite_link, name="ads 2", creates_join_request=True)
    assert edited.invite_link == link.invite_link and edited.name == "ads 2" and not edited.is_revoked
    revoked = await bot.revoke_chat_invite_link(CHANNEL["id"], link.invite_link)
    assert revoked.is_revoked and revoked.invite_link == link.invite_link
    # A requester may be messaged through user_chat_id while the request waits.
    carol = {"id": 44, "first_name": "Carol"}
    await happen({"type": "join_request", "chat": CHANNEL, "user": carol})
    greeted = await bot.send_message(carol["id"], "Welcome")
    assert greeted.chat.id == carol["id"] and greeted.chat.type == "private"

    sent = await bot.send_message(
        ANN["id"],
        "Hi *Ann*, welcome to [My Channel](https://t.me/+abc)",
        parse_mode="Markdown",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Join", url="https://t.me/+abc")]]
        ),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert isinstance(sent, Message) and sent.text == "Hi Ann, welcome to My Channel"
    assert [e.type for e in sent.entities] == ["bold", "text_link"]
    assert sent.reply_markup.inline_keyboard[0][0].url == "https://t.me/+abc"
    v2 = await bot.send_message(ANN["id"], "*bold* \\- _it_", parse_mode="MarkdownV2")
    assert v2.text == "bold - it"

    try:
        await bot.send_message(BOB["id"], "hi")
        raise AssertionError("a user who never started the bot was reached")
    except TelegramForbiddenError as err:
        assert "bot can't initiate conversation with a user" in err.message
    try:
        await bot.send_message(ANN["id"], "my_channel", parse_mode="Markdown")
        raise AssertionError("unbalanced Markdown was sent")
    except TelegramBadRequest as err:
        assert "can't parse entities" in err.message

    # promote, start, message, join, leave, kick, block, unblock, two
    # requests and the approved join.
    expected = len(events) + 3
    await asyncio.wait_for(arrived.wait(), timeout=20)
    kinds = [u.event_type for u in received]
    assert kinds.count("chat_join_request") == 3, kinds
    approved = [u.chat_member for u in received if u.chat_member and u.chat_member.via_join_request]
    assert len(approved) == 1 and approved[0].invite_link.invite_link == link.invite_link
    start = next(u.message for u in received if u.message and u.message.text.startswith("/start"))
    assert start.entities[0].type == "bot_command" and start.chat.type == "private"

    try:
        await bot.get_updates()
        raise AssertionError("getUpdates worked while a webhook is set")
    except TelegramConflictError:
        pass
    assert await bot.delete_webhook(drop_pending_updates=True)
    await happen({"type": "message", "user": ANN, "text": "/help"})
    polled = await bot.get_updates(timeout=1)
    assert len(polled) == 1 and polled[0].message.text == "/help"

    await control.close()
    await bot.session.close()
    await runner.cleanup()
    print(f"aiogram session ok: {len(received) + len(polled)} updates parsed, kinds {sorted(set(kinds))}")


asyncio.run(main())
