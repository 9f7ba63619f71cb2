-- Invite links per campaign (issue 26). A campaign's `link_mode` says
-- whether usher made a link for it with createChatInviteLink: 0 none, 1 a
-- link that admits at once, 2 a link that creates join requests. Its links
-- (the one of its mode, the primary, and the extra named ones of
-- camp/links.json) are kept after they are revoked: a join that arrives
-- late through a revoked link still belongs to its campaign.
--
-- A journal row says which of the campaign's links a join or request came
-- through (`link_id`, 0 for none), and a join or request through one makes
-- a lead even without /start.
--
-- Runs beside a live older instance: the columns have constant defaults
-- (a change of the catalog only, no rewrite; an older instance's inserts
-- leave them out), and the table is new.
ALTER TABLE campaigns ADD COLUMN link_mode smallint NOT NULL DEFAULT 0;

ALTER TABLE journal ADD COLUMN link_id bigint NOT NULL DEFAULT 0;

CREATE TABLE campaign_links (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL,
    campaign bigint NOT NULL REFERENCES campaigns (id),
    url text NOT NULL,
    name text NOT NULL,
    creates_join_request boolean NOT NULL,
    is_primary boolean NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    revoked timestamptz
);

-- Telegram's link URLs are unique: a link is one campaign's.
CREATE UNIQUE INDEX campaign_links_url ON campaign_links (url);

-- At most one live primary link per campaign.
CREATE UNIQUE INDEX campaign_links_live_primary ON campaign_links (campaign)
    WHERE is_primary AND revoked IS NULL;

CREATE INDEX campaign_links_of_campaign ON campaign_links (campaign, id);
