"""A customer session through the client openapi-generator's `python`
generator makes from usher's served document, without a line of patching:
list, add, chats, campaign add, get, invite links, pause, resume, del, bot del, restore,
and an error of each kind. The key goes as the query parameter `id` (the
`query_key` scheme), beside the operation's own `id` where it has one. The
sandbox (fake Telegram) is driven over plain HTTP.

Environment: USHER_URL, USHER_KEY, SANDBOX_URL, CLIENT_PARENT (the folder
holding the generated package `usher_oag`).
"""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.environ["CLIENT_PARENT"])

import pydantic  # noqa: E402
import usher_oag  # noqa: E402
from usher_oag import (  # noqa: E402
    ApiError,
    BotsAddRequest,
    BotsDelRequest,
    CampAddRequest,
    CampDelRequest,
    CampEditRequest,
    CampLinksChangeRequest,
    CampPauseRequest,
    CampResumeRequest,
)

USHER, KEY, SANDBOX = os.environ["USHER_URL"], os.environ["USHER_KEY"], os.environ["SANDBOX_URL"]
CHANNEL = -1009876543213


def sandbox(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{SANDBOX}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def apis(key):
    client = usher_oag.ApiClient(usher_oag.Configuration(host=USHER, api_key={"query_key": key}))
    return usher_oag.BotsApi(client), usher_oag.CampApi(client), usher_oag.LeadsApi(client)


def ok(answer, kind):
    inner = answer.actual_instance
    assert not isinstance(inner, ApiError), f"expected {kind}, got error {inner.error}"
    assert type(inner).__name__ == kind, f"{type(inner).__name__} is not {kind}"
    return inner


def error(answer, code):
    inner = answer.actual_instance
    assert isinstance(inner, ApiError), f"expected error {code}, got {inner}"
    assert inner.error == code, f"expected {code}, got {inner.error}"


bots, camps, leads = apis(KEY)
fake = sandbox("POST", "/_sandbox/bots", {"username": "oagpybot", "first_name": "Generated"})

assert ok(bots.bots_list(), "BotListOk").data == []
added = ok(bots.bots_add(BotsAddRequest(token=fake["token"])), "AddedBotOk").data
bot = added.id
assert added.username == "oagpybot"

sandbox("POST", f"/_sandbox/bots/{fake['id']}/events",
        {"type": "promote", "chat": {"id": CHANNEL, "title": "Generated", "type": "channel"},
         "by": {"id": 1, "first_name": "Owner"}})
deadline = time.monotonic() + 10
while True:
    # The query carries the bot's id and the key, both as `id`.
    chats = ok(bots.bots_chats(id=bot), "ChatListOk").data
    if chats or time.monotonic() > deadline:
        break
    time.sleep(0.05)
assert [c.id for c in chats] == [CHANNEL], chats

error(camps.camp_add(CampAddRequest(bot=bot, chat=CHANNEL, welcome="my_channel")), "welcome")
error(camps.camp_add(CampAddRequest(bot=bot, chat=CHANNEL, welcome="Hi", button_text="Go")), "button")
camp = ok(camps.camp_add(CampAddRequest(bot=bot, chat=CHANNEL, welcome="Hi {name}")), "CampaignDetailOk").data
assert camp.status == 0 and camp.link.endswith("-{click}")
assert ok(camps.camp_get(id=camp.id), "CampaignDetailOk").data.code == camp.code
linked = ok(camps.camp_edit(CampEditRequest(id=camp.id, link_mode="join")), "CampaignDetailOk").data
assert linked.link_mode == "join" and linked.invite_link.startswith("https://t.me/+"), linked
extra = ok(camps.camp_links_change(CampLinksChangeRequest(id=camp.id, name="ad 1")), "InviteLinkOk").data
assert not extra.join_request and not extra.primary and extra.name == "ad 1", extra
revoked = ok(camps.camp_links_change(CampLinksChangeRequest(id=camp.id, revoke=extra.id)), "InviteLinkOk").data
assert revoked.revoked != "0000-00-00 00:00:00"
links = ok(camps.camp_links(id=camp.id), "InviteLinkListOk").data
assert [link.primary for link in links] == [True, False], links
error(camps.camp_links_change(CampLinksChangeRequest(id=camp.id, name=" ")), "name")
ok(camps.camp_pause(CampPauseRequest(id=camp.id)), "Ok")
assert ok(camps.camp_get(id=camp.id), "CampaignDetailOk").data.status == 1
ok(camps.camp_resume(CampResumeRequest(id=camp.id)), "Ok")
assert ok(camps.camp_get(id=camp.id), "CampaignDetailOk").data.status == 0
ok(camps.camp_del(CampDelRequest(id=camp.id)), "Ok")
assert ok(camps.camp_get(id=camp.id), "CampaignDetailOk").data.status == 2

ok(bots.bots_del(BotsDelRequest(id=bot)), "Ok")
listed = ok(bots.bots_list(), "BotListOk").data
assert [b.status for b in listed] == [3], listed
restored = ok(bots.bots_add(BotsAddRequest(token=fake["token"])), "AddedBotOk").data
assert restored.id == bot, "a re-add restores the same record"

# An error of each kind the session can meet.
stranger, _, _ = apis("1-nope")
error(stranger.bots_list(), "key")
error(stranger.bots_chats(id=bot), "key")
error(bots.bots_chats(id=999999), "id")
error(camps.camp_add(CampAddRequest(bot=999999, chat=CHANNEL, welcome="Hi")), "bot")
error(camps.camp_add(CampAddRequest(bot=bot, chat=-1, welcome="Hi")), "chat")
error(leads.leads_list(campaign=999999), "campaign")
# What the document constrains, the client itself refuses before calling.
for refused in (lambda: BotsAddRequest(token="not-a-token"), lambda: leads.leads_list(limit=500)):
    try:
        refused()
    except pydantic.ValidationError:
        pass
    else:
        raise AssertionError("the client let a value the document forbids through")
print("openapi-generator python session: ok")
