//! Identifiers. Each is a distinct type so that a bot id can never be passed
//! where an account id or a Telegram id is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Our id of a customer account (positive).
    AccountId
);
id_type!(
    /// Our id of one bot record (positive, small).
    BotId
);
id_type!(
    /// Telegram's user id of a bot: the number before the colon of its token.
    TgBotId
);
id_type!(
    /// Telegram's id of a chat; negative for groups, supergroups and channels.
    ChatId
);
id_type!(
    /// Our id of a campaign (positive).
    CampaignId
);
