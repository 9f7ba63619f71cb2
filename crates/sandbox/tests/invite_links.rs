//! Invite links and a join request's `user_chat_id` as the official server
//! has them: links the bot made are edited and revoked by it alone, a
//! revoked link stays known with `is_revoked`, and a requester may be
//! messaged for five minutes until the request is decided.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod support;

use serde_json::json;
use support::{channel, hook_up, ok, person, promote_in_channel, receiver, refused, sandbox};
use usher_sandbox::{SandboxEvent, SandboxHandle};

fn request(sb: &SandboxHandle, bot: i64, user: i64, date: Option<i64>) {
    sb.send_event(
        bot,
        &SandboxEvent::JoinRequest {
            chat: channel(),
            user: person(user, "Ann", None),
            invite_link: None,
            date,
        },
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_is_edited_then_revoked_by_the_bot_that_made_it() {
    let sb = sandbox().await;
    let bot = sb.create_bot("trackbot", "Track", None);
    let other = sb.create_bot("otherbot", "Other", None);
    promote_in_channel(&sb, bot.id);
    promote_in_channel(&sb, other.id);
    let chat = channel().id;
    let link = ok(
        &sb,
        &bot.token,
        "createChatInviteLink",
        json!({ "chat_id": chat, "name": "Ab12Cd34" }),
    )
    .await;
    let url = link["invite_link"].as_str().unwrap().to_owned();

    let edited = ok(
        &sb,
        &bot.token,
        "editChatInviteLink",
        json!({ "chat_id": chat, "invite_link": url, "name": "ad 7", "creates_join_request": true }),
    )
    .await;
    assert_eq!(edited["invite_link"], url.as_str(), "the same link");
    assert_eq!(edited["name"], "ad 7");
    assert_eq!(edited["creates_join_request"], true);
    let cleared = ok(
        &sb,
        &bot.token,
        "editChatInviteLink",
        json!({ "chat_id": chat, "invite_link": url }),
    )
    .await;
    assert!(
        cleared.get("name").is_none(),
        "an option left out is cleared"
    );
    assert_eq!(cleared["creates_join_request"], false);

    let refusal = refused(
        &sb,
        &other.token,
        "revokeChatInviteLink",
        json!({ "chat_id": chat, "invite_link": url }),
    )
    .await;
    assert_eq!(refusal, (400, "Bad Request: INVITE_HASH_EXPIRED".into()));
    let revoked = ok(
        &sb,
        &bot.token,
        "revokeChatInviteLink",
        json!({ "chat_id": chat, "invite_link": url }),
    )
    .await;
    assert_eq!(revoked["is_revoked"], true);
    assert_eq!(revoked["invite_link"], url.as_str());
    let again = ok(
        &sb,
        &bot.token,
        "revokeChatInviteLink",
        json!({ "chat_id": chat, "invite_link": url }),
    )
    .await;
    assert_eq!(again, revoked, "revoking twice answers the link again");
    let refusal = refused(
        &sb,
        &bot.token,
        "editChatInviteLink",
        json!({ "chat_id": chat, "invite_link": url, "name": "x" }),
    )
    .await;
    assert_eq!(refusal, (400, "Bad Request: INVITE_REVOKED_MISSING".into()));
    let links = sb.links();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["chat"], chat);
    assert_eq!(links[0]["link"], revoked);
}

#[tokio::test(flavor = "multi_thread")]
async fn link_calls_refuse_what_telegram_refuses() {
    let sb = sandbox().await;
    let bot = sb.create_bot("trackbot", "Track", None);
    let chat = channel().id;
    let no_chat = refused(
        &sb,
        &bot.token,
        "revokeChatInviteLink",
        json!({ "chat_id": chat, "invite_link": "https://t.me/+x" }),
    )
    .await;
    assert_eq!(no_chat, (400, "Bad Request: chat not found".into()));
    promote_in_channel(&sb, bot.id);
    for (method, params, description) in [
        (
            "revokeChatInviteLink",
            json!({ "chat_id": chat, "invite_link": "https://t.me/+unknown" }),
            "Bad Request: INVITE_HASH_EXPIRED",
        ),
        (
            "editChatInviteLink",
            json!({ "chat_id": chat }),
            "Bad Request: Invite link must be non-empty",
        ),
        (
            "createChatInviteLink",
            json!({ "chat_id": chat, "name": "x".repeat(33) }),
            "Bad Request: invite link name must be at most 32 characters long",
        ),
        (
            "createChatInviteLink",
            json!({ "chat_id": chat, "member_limit": 100000 }),
            "Bad Request: parameter \"member_limit\" must be between 0 and 99999",
        ),
    ] {
        let answer = refused(&sb, &bot.token, method, params).await;
        assert_eq!(answer, (400, description.to_owned()), "{method}");
    }
    sb.send_event(
        bot.id,
        &SandboxEvent::Demote {
            chat: channel(),
            by: person(1, "Owner", None),
            date: None,
        },
    );
    let answer = refused(
        &sb,
        &bot.token,
        "editChatInviteLink",
        json!({ "chat_id": chat, "invite_link": "https://t.me/+x" }),
    )
    .await;
    assert_eq!(answer, (400, "Bad Request: CHAT_ADMIN_REQUIRED".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_requester_may_be_messaged_for_five_minutes_until_the_request_is_decided() {
    let sb = sandbox().await;
    let (_hook, url) = receiver(0).await;
    let bot = sb.create_bot("trackbot", "Track", None);
    hook_up(&sb, &bot.token, &url).await;
    promote_in_channel(&sb, bot.id);
    let cannot = (
        403,
        "Forbidden: bot can't initiate conversation with a user".to_owned(),
    );
    let send = |user: i64| json!({ "chat_id": user, "text": "Welcome" });

    request(&sb, bot.id, 42, None);
    let sent = ok(&sb, &bot.token, "sendMessage", send(42)).await;
    assert_eq!(sent["chat"]["id"], 42);
    assert_eq!(sent["chat"]["type"], "private");
    ok(
        &sb,
        &bot.token,
        "approveChatJoinRequest",
        json!({ "chat_id": channel().id, "user_id": 42 }),
    )
    .await;
    let after = refused(&sb, &bot.token, "sendMessage", send(42)).await;
    assert_eq!(after, cannot, "the request is decided");

    let now = chrono::Utc::now().timestamp();
    request(&sb, bot.id, 43, Some(now - 301));
    let late = refused(&sb, &bot.token, "sendMessage", send(43)).await;
    assert_eq!(late, cannot, "past five minutes");
    request(&sb, bot.id, 44, Some(now - 200));
    ok(&sb, &bot.token, "sendMessage", send(44)).await;

    let other = sb.create_bot("otherbot", "Other", None);
    let stranger = refused(&sb, &other.token, "sendMessage", send(44)).await;
    assert_eq!(stranger, cannot, "a bot that cannot decide the request");
}
