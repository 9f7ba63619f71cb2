//! `sendMessage`, with the official server's checks in its order: the
//! text and its markup, the link preview options, the keyboard, then the
//! chat (a person must have started the bot and not blocked it), the flood
//! limit, and the length of what the person would read.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use crate::arguments::chat_id;
use crate::envelope::{self, Refusal};
use crate::events::bot_user;
use crate::markdown::{self, Parsed, checked_link};
use crate::params::{self, Params};
use crate::state::{FakeBot, SentMessage, State, unix_now};
use crate::world::is_member;

/// Telegram's `message_text_length_max`, in characters after the markup.
const MAX_TEXT_CHARS: usize = 4096;

/// The text of a message, its markup parsed by `parse_mode`.
fn parse_text(text: &str, parse_mode: Option<&str>) -> Result<Parsed, Refusal> {
    if text.is_empty() {
        return Err(Refusal::bad_request("message text is empty"));
    }
    let mode = parse_mode.unwrap_or("").to_ascii_lowercase();
    let parsed = match mode.as_str() {
        "" | "none" => Ok(Parsed {
            text: text.to_owned(),
            entities: Vec::new(),
        }),
        "markdown" => markdown::parse_markdown(text),
        "markdownv2" => markdown::parse_markdown_v2(text),
        // The sandbox does not parse HTML; it keeps the text as is.
        "html" => Ok(Parsed {
            text: text.to_owned(),
            entities: Vec::new(),
        }),
        _ => return Err(Refusal::bad_request("unsupported parse_mode")),
    };
    parsed.map_err(|error| Refusal::bad_request(&format!("can't parse entities: {error}")))
}

/// A JSON-serialized object parameter (or an object in a JSON body).
fn object_param(params: &Params, name: &str) -> Option<Result<Value, ()>> {
    match params.get(name)? {
        Value::String(text) if text.is_empty() => None,
        Value::String(text) => Some(serde_json::from_str(text).map_err(|_| ())),
        other => Some(Ok(other.clone())),
    }
}

/// `reply_markup`: only an inline keyboard of URL or callback buttons is
/// understood; it comes back as the message's `reply_markup`.
fn inline_keyboard(params: &Params) -> Result<Option<Value>, Refusal> {
    let Some(markup) = object_param(params, "reply_markup") else {
        return Ok(None);
    };
    let Ok(markup) = markup else {
        return Err(Refusal::bad_request(
            "can't parse reply keyboard markup JSON object",
        ));
    };
    let Some(rows) = markup.get("inline_keyboard") else {
        return Ok(Some(markup));
    };
    let Some(rows) = rows.as_array() else {
        return Err(Refusal::bad_request(
            "field \"inline_keyboard\" must be an Array",
        ));
    };
    let mut checked_rows = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(buttons) = row.as_array() else {
            return Err(Refusal::bad_request(
                "field \"inline_keyboard\" must be an Array of Arrays",
            ));
        };
        let mut checked = Vec::with_capacity(buttons.len());
        for button in buttons {
            let Some(text) = button["text"].as_str() else {
                return Err(Refusal::bad_request(
                    "can't parse inline keyboard button: Field \"text\" must be of type String",
                ));
            };
            let mut out = json!({ "text": text });
            if let Some(url) = button.get("url") {
                let url = url.as_str().unwrap_or_default();
                match checked_link(url) {
                    Some(good) => out["url"] = json!(good),
                    None => {
                        return Err(Refusal::bad_request(&format!(
                            "inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                        )));
                    }
                }
            } else if let Some(data) = button.get("callback_data") {
                out["callback_data"] = data.clone();
            } else {
                return Err(Refusal::bad_request(
                    "text buttons are unallowed in the inline keyboard",
                ));
            }
            checked.push(out);
        }
        checked_rows.push(Value::Array(checked));
    }
    Ok(Some(json!({ "inline_keyboard": checked_rows })))
}

/// `link_preview_options`, echoed in the message when given.
fn link_preview(params: &Params) -> Result<Option<Value>, Refusal> {
    match object_param(params, "link_preview_options") {
        None => Ok(None),
        Some(Err(())) => Err(Refusal::bad_request(
            "can't parse link preview options JSON object",
        )),
        Some(Ok(value)) if value.is_object() => Ok(Some(value)),
        Some(Ok(_)) => Err(Refusal::bad_request(
            "object expected as link preview options",
        )),
    }
}

/// The `Chat` the message goes to, if the bot may write there.
fn target_chat(state: &State, bot: &FakeBot, chat: i64) -> Result<Value, Refusal> {
    let inner = state.lock();
    let world = &inner.world;
    if chat > 0 {
        let Some(user) = world.user(chat) else {
            return Err(Refusal::bad_request("chat not found"));
        };
        return match world.private_chat(bot.id, chat) {
            None if world.may_write_to_requester(bot.id, chat, unix_now()) => {
                Ok(crate::events::private_chat_json(user))
            }
            None => Err(Refusal::new(
                403,
                "Forbidden: bot can't initiate conversation with a user",
            )),
            Some(private) if private.blocked => {
                Err(Refusal::new(403, "Forbidden: bot was blocked by the user"))
            }
            Some(_) => Ok(crate::events::private_chat_json(user)),
        };
    }
    let Some(object) = world.chat(chat) else {
        return Err(Refusal::bad_request("chat not found"));
    };
    let member = world.bot_member(chat, bot.id);
    if !member.is_some_and(is_member) {
        return Err(Refusal::new(
            403,
            "Forbidden: bot is not a member of the chat",
        ));
    }
    if object["type"] == "channel" && !member.is_some_and(|m| m["can_post_messages"] == true) {
        return Err(Refusal::bad_request(
            "need administrator rights in the channel chat",
        ));
    }
    Ok(object.clone())
}

/// `sendMessage`.
pub(crate) fn send_message(state: &State, bot: &FakeBot, params: &Params) -> HttpResponse {
    let text = params::string(params, "text").unwrap_or_default();
    let parse_mode = params::string(params, "parse_mode").filter(|m| !m.is_empty());
    let parsed = match parse_text(&text, parse_mode.as_deref()) {
        Ok(parsed) => parsed,
        Err(answer) => return answer.into(),
    };
    let preview = match link_preview(params) {
        Ok(preview) => preview,
        Err(answer) => return answer.into(),
    };
    let keyboard = match inline_keyboard(params) {
        Ok(keyboard) => keyboard,
        Err(answer) => return answer.into(),
    };
    let chat = match chat_id(state, params).and_then(|id| target_chat(state, bot, id)) {
        Ok(chat) => chat,
        Err(answer) => return answer.into(),
    };
    if parsed.text.trim().is_empty() {
        return envelope::bad_request("message must be non-empty");
    }
    // Telegram counts the text it shows in UTF-16 code units.
    if parsed.text.encode_utf16().count() > MAX_TEXT_CHARS {
        return envelope::bad_request("message is too long");
    }
    if let Err(retry_after) = state.flood_send(bot.id) {
        return envelope::too_many_requests(retry_after);
    }
    let chat_id = chat["id"].as_i64().unwrap_or_default();
    let message_id = state.lock().world.next_message_id(bot.id, chat_id);
    let mut message = json!({
        "message_id": message_id,
        "chat": chat,
        "date": unix_now(),
        "text": parsed.text,
    });
    // A channel's post is sent on behalf of the channel: the official server
    // writes `sender_chat` and, in a channel only, no `from`
    // (`Client::JsonMessage`, from TDLib's `messageSenderChat`).
    if message["chat"]["type"] == "channel" {
        message["sender_chat"] = message["chat"].clone();
    } else {
        message["from"] = bot_user(bot);
    }
    if !parsed.entities.is_empty() {
        message["entities"] = Value::Array(parsed.entities);
    }
    if let Some(preview) = preview {
        message["link_preview_options"] = preview;
    }
    if let Some(keyboard) = keyboard {
        message["reply_markup"] = keyboard;
    }
    state.record_sent(
        bot.id,
        SentMessage {
            chat_id,
            parse_mode,
            message: message.clone(),
            sent_at_ms: chrono::Utc::now().timestamp_millis(),
        },
    );
    envelope::ok(message, None)
}
