//! People and bots in the sandbox as in Telegram: a deep link's `/start`,
//! `sendMessage` with its checks and flood control, blocking, join
//! requests approved or declined, invite links, `getChat`, and the error
//! texts of the official server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{channel, hook_up, ok, person, promote_in_channel, receiver, refused, sandbox};
use usher_sandbox::{SandboxEvent, SandboxOptions, start};

/// What the webhook received, in the order the updates were made: Telegram
/// (and the sandbox) deliver up to `max_connections` at once, so arrival
/// order is not update order.
fn in_update_order(mut updates: Vec<Value>) -> Vec<Value> {
    updates.sort_by_key(|u| u["update_id"].as_i64());
    updates
}

fn start_event(id: i64, payload: &str) -> SandboxEvent {
    SandboxEvent::Start {
        user: person(id, "Ann", Some("ann")),
        payload: Some(payload.into()),
        date: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deep_link_start_arrives_as_telegram_sends_it() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("trackbot", "Track", None);
    hook_up(&sb, &bot.token, &url).await;
    sb.send_event(bot.id, &start_event(42, "Ab12Cd34-click_1"));
    sb.send_event(bot.id, &start_event(42, "again"));
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let updates = in_update_order(hook.updates());
    let message = &updates[0]["message"];
    assert_eq!(message["text"], "/start Ab12Cd34-click_1");
    assert_eq!(
        message["entities"],
        json!([{ "offset": 0, "length": 6, "type": "bot_command" }])
    );
    assert_eq!(
        message["chat"],
        json!({ "id": 42, "first_name": "Ann", "username": "ann", "type": "private" })
    );
    assert_eq!(message["from"]["is_bot"], false);
    assert_eq!(message["from"]["language_code"], "en");
    assert_eq!(
        updates[1]["message"]["message_id"],
        message["message_id"].as_i64().unwrap() + 1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn send_message_answers_the_message_and_records_it() {
    let sb = sandbox().await;
    let bot = sb.create_bot("trackbot", "Track", None);
    sb.send_event(bot.id, &start_event(42, "x"));
    let sent = ok(
        &sb,
        &bot.token,
        "sendMessage",
        json!({
            "chat_id": 42,
            "text": "Hi *Ann*, join [us](t.me/mychannel) my\\_channel",
            "parse_mode": "Markdown",
            "reply_markup": { "inline_keyboard": [[{ "text": "Join", "url": "https://t.me/+abc" }]] },
            "link_preview_options": { "is_disabled": true },
        }),
    )
    .await;
    assert_eq!(sent["text"], "Hi Ann, join us my_channel");
    assert_eq!(sent["chat"]["id"], 42);
    assert_eq!(sent["from"]["id"], bot.id);
    assert_eq!(sent["from"]["is_bot"], true);
    assert_eq!(
        sent["entities"][0],
        json!({ "offset": 3, "length": 3, "type": "bold" })
    );
    assert_eq!(sent["entities"][1]["url"], "http://t.me/mychannel");
    assert_eq!(
        sent["reply_markup"]["inline_keyboard"][0][0]["url"],
        "https://t.me/+abc"
    );
    assert_eq!(sent["link_preview_options"]["is_disabled"], true);
    assert!(sent["message_id"].as_i64().unwrap() > 1, "after the /start");
    // A form body with the markup serialized works the same.
    let form = reqwest::Client::new()
        .post(format!("{}/bot{}/sendMessage", sb.api_url(), bot.token))
        .form(&[
            ("chat_id", "42"),
            ("text", "_plain_ form"),
            ("parse_mode", "MarkdownV2"),
            (
                "reply_markup",
                r#"{"inline_keyboard":[[{"text":"Go","url":"https://example.com"}]]}"#,
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let recorded = sb.messages(bot.id);
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].chat_id, 42);
    assert_eq!(recorded[0].parse_mode.as_deref(), Some("Markdown"));
    assert_eq!(recorded[1].message["text"], "plain form");
    let over_http: Value = reqwest::get(format!(
        "{}/_sandbox/bots/{}/messages",
        sb.api_url(),
        bot.id
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(over_http.as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn send_message_refuses_what_telegram_refuses() {
    let sb = sandbox().await;
    let bot = sb.create_bot("trackbot", "Track", None);
    sb.send_event(bot.id, &start_event(42, "x"));
    // Somebody the sandbox knows from a channel, who never wrote to the bot.
    sb.send_event(
        bot.id,
        &SandboxEvent::Join {
            chat: channel(),
            user: person(43, "Bob", None),
            invite_link: None,
            via_join_request: false,
            date: None,
        },
    );
    let long = "a".repeat(4097);
    let cases: Vec<(Value, u16, String)> = vec![
        (json!({ "text": "hi" }), 400, "Bad Request: chat_id is empty".into()),
        (json!({ "chat_id": 42, "text": "" }), 400, "Bad Request: message text is empty".into()),
        (json!({ "chat_id": 42 }), 400, "Bad Request: message text is empty".into()),
        (
            json!({ "chat_id": 42, "text": "join my_channel", "parse_mode": "Markdown" }),
            400,
            "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 7".into(),
        ),
        (
            json!({ "chat_id": 42, "text": "Hi.", "parse_mode": "MarkdownV2" }),
            400,
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'".into(),
        ),
        (json!({ "chat_id": 42, "text": "x", "parse_mode": "Wiki" }), 400, "Bad Request: unsupported parse_mode".into()),
        (json!({ "chat_id": 42, "text": long }), 400, "Bad Request: message is too long".into()),
        (json!({ "chat_id": 42, "text": "**", "parse_mode": "Markdown" }), 400, "Bad Request: message must be non-empty".into()),
        (
            json!({ "chat_id": 42, "text": "x", "reply_markup": { "inline_keyboard": [[{ "text": "Go", "url": "not a url" }]] } }),
            400,
            "Bad Request: inline keyboard button URL 'not a url' is invalid: Wrong HTTP URL".into(),
        ),
        (
            json!({ "chat_id": 42, "text": "x", "reply_markup": "{not json" }),
            400,
            "Bad Request: can't parse reply keyboard markup JSON object".into(),
        ),
        (json!({ "chat_id": 43, "text": "x" }), 403, "Forbidden: bot can't initiate conversation with a user".into()),
        (json!({ "chat_id": 777, "text": "x" }), 400, "Bad Request: chat not found".into()),
        (json!({ "chat_id": "nonsense", "text": "x" }), 400, "Bad Request: chat not found".into()),
    ];
    for (params, status, description) in cases {
        let answer = refused(&sb, &bot.token, "sendMessage", params.clone()).await;
        assert_eq!(answer, (status, description), "{params}");
    }
    // Exactly 4096 characters after the markup is fine.
    let most = format!("*{}*", "é".repeat(4096));
    ok(
        &sb,
        &bot.token,
        "sendMessage",
        json!({ "chat_id": 42, "text": most, "parse_mode": "Markdown" }),
    )
    .await;

    sb.send_event(
        bot.id,
        &SandboxEvent::Block {
            user: person(42, "Ann", Some("ann")),
            date: None,
        },
    );
    let answer = refused(
        &sb,
        &bot.token,
        "sendMessage",
        json!({ "chat_id": 42, "text": "x" }),
    )
    .await;
    assert_eq!(
        answer,
        (403, "Forbidden: bot was blocked by the user".into())
    );
    sb.send_event(
        bot.id,
        &SandboxEvent::Unblock {
            user: person(42, "Ann", Some("ann")),
            date: None,
        },
    );
    ok(
        &sb,
        &bot.token,
        "sendMessage",
        json!({ "chat_id": 42, "text": "welcome back" }),
    )
    .await;
    assert_eq!(
        sb.messages(bot.id).len(),
        2,
        "refused messages are not recorded"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn flood_control_answers_429_to_every_call_during_the_wait() {
    let sb = start(SandboxOptions {
        send_rate: 5,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let bot = sb.create_bot("trackbot", "Track", None);
    let other = sb.create_bot("otherbot", "Other", None);
    for user in 1..=6 {
        sb.send_event(bot.id, &start_event(user, "x"));
        sb.send_event(other.id, &start_event(user, "x"));
    }
    for user in 1..=5 {
        ok(
            &sb,
            &bot.token,
            "sendMessage",
            json!({ "chat_id": user, "text": "hi" }),
        )
        .await;
    }
    let (status, body) = support::call(
        &sb,
        &bot.token,
        "sendMessage",
        json!({ "chat_id": 6, "text": "hi" }),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(body["description"], "Too Many Requests: retry after 1");
    assert_eq!(body["parameters"]["retry_after"], 1);
    let (status, _) = support::call(&sb, &bot.token, "getMe", json!({})).await;
    assert_eq!(status, 429, "every call waits");
    let floods: Value = reqwest::get(format!("{}/_sandbox/bots/{}/floods", sb.api_url(), bot.id))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(floods["floods"], 2, "both 429s are counted");
    // Another bot has its own limit.
    ok(
        &sb,
        &other.token,
        "sendMessage",
        json!({ "chat_id": 6, "text": "hi" }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ok(
        &sb,
        &bot.token,
        "sendMessage",
        json!({ "chat_id": 6, "text": "hi" }),
    )
    .await;
    assert_eq!(sb.messages(bot.id).len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_join_request_approved_becomes_a_join_via_the_request() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("trackbot", "Track", None);
    hook_up(&sb, &bot.token, &url).await;
    promote_in_channel(&sb, bot.id);
    let link = ok(
        &sb,
        &bot.token,
        "createChatInviteLink",
        json!({ "chat_id": channel().id, "name": "ads", "creates_join_request": true }),
    )
    .await;
    let url_of_link = link["invite_link"].as_str().unwrap().to_owned();
    assert!(url_of_link.starts_with("https://t.me/+"));
    assert_eq!(link["creator"]["id"], bot.id);
    assert_eq!(link["creates_join_request"], true);
    assert_eq!(link["name"], "ads");

    let ann = person(42, "Ann", Some("ann"));
    sb.send_event(
        bot.id,
        &SandboxEvent::JoinRequest {
            chat: channel(),
            user: ann.clone(),
            invite_link: Some(url_of_link.clone()),
            date: None,
        },
    );
    assert_eq!(
        ok(
            &sb,
            &bot.token,
            "approveChatJoinRequest",
            json!({ "chat_id": channel().id, "user_id": 42 })
        )
        .await,
        true
    );
    let answer = refused(
        &sb,
        &bot.token,
        "approveChatJoinRequest",
        json!({ "chat_id": channel().id, "user_id": 42 }),
    )
    .await;
    assert_eq!(
        answer,
        (400, "Bad Request: USER_ALREADY_PARTICIPANT".into())
    );
    let member = ok(
        &sb,
        &bot.token,
        "getChatMember",
        json!({ "chat_id": channel().id, "user_id": 42 }),
    )
    .await;
    assert_eq!(member["status"], "member");
    sb.send_event(
        bot.id,
        &SandboxEvent::Leave {
            chat: channel(),
            user: ann.clone(),
            date: None,
        },
    );
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);

    let updates = in_update_order(hook.updates());
    let request = &updates[1]["chat_join_request"];
    assert_eq!(request["invite_link"], link, "the whole link the bot made");
    assert_eq!(request["user_chat_id"], 42);
    let join = &updates[2]["chat_member"];
    assert_eq!(join["via_join_request"], true);
    assert_eq!(join["old_chat_member"]["status"], "left");
    assert_eq!(join["new_chat_member"]["status"], "member");
    assert_eq!(join["invite_link"]["invite_link"], url_of_link.as_str());
    let leave = &updates[3]["chat_member"];
    assert_eq!(leave["old_chat_member"]["status"], "member");
    assert_eq!(leave["new_chat_member"]["status"], "left");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_request_delivers_nothing_and_rights_are_checked() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("trackbot", "Track", None);
    hook_up(&sb, &bot.token, &url).await;
    let chat = channel().id;
    let ann = person(42, "Ann", None);
    let answer = refused(
        &sb,
        &bot.token,
        "declineChatJoinRequest",
        json!({ "chat_id": chat, "user_id": 42 }),
    )
    .await;
    assert_eq!(
        answer,
        (400, "Bad Request: chat not found".into()),
        "the bot is not there"
    );
    promote_in_channel(&sb, bot.id);
    let answer = refused(
        &sb,
        &bot.token,
        "declineChatJoinRequest",
        json!({ "chat_id": chat, "user_id": 42 }),
    )
    .await;
    assert_eq!(answer, (400, "Bad Request: HIDE_REQUESTER_MISSING".into()));
    sb.send_event(
        bot.id,
        &SandboxEvent::JoinRequest {
            chat: channel(),
            user: ann,
            invite_link: None,
            date: None,
        },
    );
    assert_eq!(
        ok(
            &sb,
            &bot.token,
            "declineChatJoinRequest",
            json!({ "chat_id": chat, "user_id": 42 })
        )
        .await,
        true
    );
    let answer = refused(
        &sb,
        &bot.token,
        "approveChatJoinRequest",
        json!({ "chat_id": chat, "user_id": "x" }),
    )
    .await;
    assert_eq!(
        answer,
        (400, "Bad Request: invalid user_id specified".into())
    );
    sb.send_event(
        bot.id,
        &SandboxEvent::Demote {
            chat: channel(),
            by: person(1, "O", None),
            date: None,
        },
    );
    let answer = refused(
        &sb,
        &bot.token,
        "createChatInviteLink",
        json!({ "chat_id": chat }),
    )
    .await;
    assert_eq!(answer, (400, "Bad Request: CHAT_ADMIN_REQUIRED".into()));
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    assert!(
        hook.updates()
            .iter()
            .all(|u| u.get("chat_member").is_none())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_chat_and_get_chat_member_know_what_the_bot_knows() {
    let sb = sandbox().await;
    let bot = sb.create_bot("trackbot", "Track", None);
    let answer = refused(&sb, &bot.token, "getChat", json!({ "chat_id": 42 })).await;
    assert_eq!(answer, (400, "Bad Request: chat not found".into()));
    let answer = refused(&sb, &bot.token, "getChat", json!({})).await;
    assert_eq!(answer, (400, "Bad Request: chat_id is empty".into()));
    sb.send_event(bot.id, &start_event(42, "x"));
    promote_in_channel(&sb, bot.id);
    let private = ok(&sb, &bot.token, "getChat", json!({ "chat_id": 42 })).await;
    assert_eq!(private["type"], "private");
    assert_eq!(private["username"], "ann");
    assert_eq!(private["max_reaction_count"], 11);
    let chan = ok(
        &sb,
        &bot.token,
        "getChat",
        json!({ "chat_id": channel().id }),
    )
    .await;
    assert_eq!(chan["title"], "My Channel");
    assert_eq!(chan["accepted_gift_types"]["unique_gifts"], true);
    let me = ok(
        &sb,
        &bot.token,
        "getChatMember",
        json!({ "chat_id": channel().id, "user_id": bot.id }),
    )
    .await;
    assert_eq!(me["status"], "administrator");
    assert_eq!(me["can_send_welcome_messages"], true);
    assert_eq!(me["can_post_messages"], true);
    let stranger = ok(
        &sb,
        &bot.token,
        "getChatMember",
        json!({ "chat_id": channel().id, "user_id": 42 }),
    )
    .await;
    assert_eq!(stranger["status"], "left");
    let answer = refused(
        &sb,
        &bot.token,
        "getChatMember",
        json!({ "chat_id": channel().id, "user_id": 999 }),
    )
    .await;
    assert_eq!(answer, (400, "Bad Request: user not found".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_to_a_channel_is_sent_on_behalf_of_the_channel() {
    let sb = sandbox().await;
    let bot = sb.create_bot("trackbot", "Track", None);
    sb.send_event(bot.id, &start_event(42, "x"));
    promote_in_channel(&sb, bot.id);
    let post = ok(
        &sb,
        &bot.token,
        "sendMessage",
        json!({ "chat_id": channel().id, "text": "news" }),
    )
    .await;
    assert_eq!(post["sender_chat"]["id"], channel().id);
    assert_eq!(post["sender_chat"]["type"], "channel");
    assert_eq!(post["chat"]["id"], channel().id);
    assert!(
        post.get("from").is_none(),
        "no sender user in a channel: {post}"
    );

    let private = ok(
        &sb,
        &bot.token,
        "sendMessage",
        json!({ "chat_id": 42, "text": "hi" }),
    )
    .await;
    assert_eq!(private["from"]["id"], bot.id);
    assert_eq!(private["from"]["is_bot"], true);
    assert!(private.get("sender_chat").is_none(), "{private}");
}
