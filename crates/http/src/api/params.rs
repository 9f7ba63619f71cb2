//! Parameters that several endpoints share.

use super::endpoint::{Param, ParamKind};

/// `id` of `bots/chats.json` and `bots/del.json`.
pub const BOT_ID: Param = Param {
    name: "id",
    kind: ParamKind::PositiveId,
    description: "Bot id (the `id` of `bots/list.json`). Missing, not a positive integer, \
                  unknown, or a bot of another account is `id`.",
    required: true,
};

/// `id` of `camp/get.json`, `camp/pause.json`, `camp/resume.json` and
/// `camp/del.json`.
pub const CAMPAIGN_ID: Param = Param {
    name: "id",
    kind: ParamKind::PositiveId,
    description: "Campaign id. Missing, not a positive integer, unknown, or a campaign of \
                  another account is `id`.",
    required: true,
};

/// One postback template parameter (`pb_wait` ... `pb_trash`).
const fn template(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        kind: ParamKind::MaybeEmpty(usher_domain::postbacks::TEMPLATE_MAX),
        description,
        required: false,
    }
}

/// The five postback templates of a campaign or of the account, in status
/// order. Omitted ones stay; `""` clears one.
pub const TEMPLATES: [Param; 5] = [
    template(
        "pb_wait",
        "Postback URL for status wait (the person started the bot): http or https with a \
         host, at most 2048 characters; macros `{click}`, `{status}`, `{campaign}`, `{user}`, \
         `{lead}`, `{subscriber}`, `{username}`, `{chat}`, `{time}` are filled \
         percent-encoded. `\"\"` sends nothing. An IP host in a blocked range is refused. \
         Otherwise `postback`.",
    ),
    template(
        "pb_hold",
        "Postback URL for status hold (join request), as `pb_wait`. Otherwise `postback`.",
    ),
    template(
        "pb_approve",
        "Postback URL for status approve (joined), as `pb_wait`. Otherwise `postback`.",
    ),
    template(
        "pb_cancel",
        "Postback URL for status cancel (left), as `pb_wait`. Otherwise `postback`.",
    ),
    template(
        "pb_trash",
        "Postback URL for status trash (removed), as `pb_wait`. Otherwise `postback`.",
    ),
];

/// The five templates as a call gave them.
pub(crate) fn given_templates(
    params: &crate::params::Params,
) -> [usher_domain::services::Given<&str>; 5] {
    TEMPLATES.each_ref().map(|p| params.given_text(p.name))
}
