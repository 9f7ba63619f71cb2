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
