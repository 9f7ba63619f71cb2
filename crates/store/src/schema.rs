//! Diesel's view of the tables in `migrations/`.

diesel::table! {
    accounts (id) {
        id -> Int8,
        name -> Nullable<Text>,
        key_hash -> Bytea,
        banned -> Bool,
        created_at -> Timestamptz,
        pb_wait -> Text,
        pb_hold -> Text,
        pb_approve -> Text,
        pb_cancel -> Text,
        pb_trash -> Text,
    }
}

diesel::table! {
    bots (id) {
        id -> Int8,
        account_id -> Int8,
        tg -> Int8,
        username -> Text,
        name -> Text,
        token_enc -> Bytea,
        secret_digest -> Bytea,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        pending_secret_digest -> Nullable<Bytea>,
    }
}

diesel::table! {
    bot_chats (bot_id, chat_id) {
        bot_id -> Int8,
        chat_id -> Int8,
        title -> Text,
        chat_type -> Text,
        is_admin -> Bool,
        status -> Text,
        member -> Jsonb,
        state_date -> Timestamptz,
        state_update_id -> Int8,
    }
}

diesel::table! {
    updates (bot_id, update_id) {
        bot_id -> Int8,
        update_id -> Int8,
        kind -> Text,
        payload -> Json,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    member_events (bot_id, update_id) {
        bot_id -> Int8,
        update_id -> Int8,
        chat_id -> Int8,
        user_id -> Int8,
        username -> Nullable<Text>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        event -> Text,
        old_status -> Nullable<Text>,
        new_status -> Nullable<Text>,
        actor_id -> Nullable<Int8>,
        at -> Timestamptz,
        invite_link -> Nullable<Text>,
        invite_link_name -> Nullable<Text>,
        via_join_request -> Bool,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Int8,
        account_id -> Int8,
        bot_id -> Int8,
        chat_id -> Int8,
        chat_title -> Text,
        chat_type -> Text,
        code -> Text,
        welcome -> Text,
        status -> Int2,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        button_text -> Text,
        button_url -> Text,
        unsub_window -> Int8,
        pb_wait -> Text,
        pb_hold -> Text,
        pb_approve -> Text,
        pb_cancel -> Text,
        pb_trash -> Text,
        served -> Bool,
        link_mode -> Int2,
        join_policy -> Int2,
    }
}

diesel::table! {
    campaign_links (id) {
        id -> Int8,
        account_id -> Int8,
        campaign -> Int8,
        url -> Text,
        name -> Text,
        creates_join_request -> Bool,
        is_primary -> Bool,
        created -> Timestamptz,
        revoked -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(bots -> accounts (account_id));
diesel::joinable!(campaigns -> bots (bot_id));
diesel::joinable!(bot_chats -> bots (bot_id));
diesel::joinable!(campaign_links -> campaigns (campaign));
diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    campaign_links,
    bots,
    bot_chats,
    updates,
    member_events,
    campaigns
);
