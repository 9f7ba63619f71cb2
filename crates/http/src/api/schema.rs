//! Schemas of answer fields whose type alone says too little (codes,
//! dates), for `#[schema(schema_with = ...)]`.

use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

/// `x-enum-varnames` and `x-enum-descriptions`: the names generators give
/// an integer enum's values instead of `VALUE_0`.
fn named(builder: ObjectBuilder, names: &[&str], descriptions: &[&str]) -> Object {
    builder
        .extensions(Some(
            ExtensionsBuilder::new()
                .add("x-enum-varnames", serde_json::json!(names))
                .add("x-enum-descriptions", serde_json::json!(descriptions))
                .build(),
        ))
        .build()
}

/// A date as the API writes it.
pub fn date_time() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .pattern(Some(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"))
        .description(Some("`YYYY-MM-DD HH:MM:SS`, in UTC."))
        .examples(["2026-05-01 12:00:00"])
        .build()
}

/// A bot's status code.
pub fn bot_status() -> Object {
    named(
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .enum_values(Some([0, 1, 3]))
            .description(Some(
                "0 Active; 1 Warning: the bot is not an administrator in a chat one of its \
                 campaigns tracks; 3 Deleted (soft). 2 is never used.",
            )),
        &["ACTIVE", "WARNING", "DELETED"],
        &[
            "Active.",
            "Not an administrator in a chat one of its campaigns tracks.",
            "Deleted (soft).",
        ],
    )
}

/// A campaign's status code.
pub fn campaign_status() -> Object {
    named(
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .enum_values(Some([0, 1, 2]))
            .description(Some("0 Active; 1 Paused; 2 Deleted.")),
        &["ACTIVE", "PAUSED", "DELETED"],
        &["Tracking.", "Paused.", "Deleted (soft)."],
    )
}

/// Telegram's type of a chat a bot administers.
pub fn chat_type() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(["channel", "supergroup", "group"]))
        .description(Some("Telegram's chat type."))
        .build()
}

/// A lead's status code.
pub fn lead_status() -> Object {
    named(
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .enum_values(Some([0, 1, 2, 3, 4]))
            .description(Some(
                "0 wait: started the bot; 1 hold: asked to join; 2 approve: a member; \
                 3 cancel: left; 4 trash: removed.",
            )),
        &["WAIT", "HOLD", "APPROVE", "CANCEL", "TRASH"],
        &[
            "Started the bot through the campaign's link.",
            "Asked to join the chat.",
            "A member of the chat.",
            "Left the chat.",
            "Removed from the chat.",
        ],
    )
}

/// A campaign's join-request policy.
pub fn join_requests() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(
            usher_domain::subscribers::join_requests::JoinRequestPolicy::NAMES,
        ))
        .description(Some(
            "manual: a person decides (or leads/approve.json, leads/decline.json); approve: \
             approved at once; after_welcome: the welcome goes through the request's \
             user_chat_id, then approved; decline: declined at once.",
        ))
        .build()
}

/// A campaign's link mode.
pub fn link_mode() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(usher_domain::invite_links::LinkMode::NAMES))
        .description(Some(
            "none: no invite link; join: a link that admits at once; request: a link that \
             creates join requests.",
        ))
        .build()
}

/// A journal action.
pub fn journal_action() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(["join", "leave", "kick", "request", "start", "block"]))
        .build()
}

/// The lead status a postback reports, by name.
pub fn postback_status() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(["wait", "hold", "approve", "cancel", "trash"]))
        .build()
}

/// Where a postback stands.
pub fn postback_state() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(["pending", "sent", "failed"]))
        .build()
}

/// Why a postback's last try did not succeed.
pub fn postback_error() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(["", "timeout", "connect", "blocked", "http"]))
        .description(Some(
            "\"\" none; timeout: no answer in time; connect: no connection; blocked: the host \
             is or resolves to a loopback, private or metadata address; http: an answer other \
             than 2xx.",
        ))
        .build()
}
