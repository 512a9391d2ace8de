"""The outbound tables (one migration, store/migrations.py).

A contact is `waiting` (due at `next_due_us`), `claimed` (by one agent's claim until
`lease_until_us`; a lapsed lease makes it claimable again), `done` (a final disposition) or
`exhausted` (the campaign's attempts used up). Every claim that dialled or skipped leaves one
`outbound_attempts` row; `outbound_dnc` holds normalised numbers never to be dialled.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE outbound_campaigns (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    queue TEXT,
    team TEXT,
    mode TEXT NOT NULL,
    settings TEXT NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_us {bigint} NOT NULL,
    updated_us {bigint} NOT NULL
);
CREATE TABLE outbound_contacts (
    id {pk},
    campaign_id {bigint} NOT NULL REFERENCES outbound_campaigns(id),
    phone TEXT NOT NULL,
    phone_norm TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    tz TEXT NOT NULL,
    crm_id TEXT,
    extra TEXT NOT NULL DEFAULT '{{}}',
    source_line INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_due_us {bigint} NOT NULL,
    callback_agent TEXT,
    claim_id TEXT UNIQUE,
    claimed_by TEXT,
    lease_until_us {bigint},
    last_outcome TEXT,
    last_disposition TEXT,
    created_us {bigint} NOT NULL,
    updated_us {bigint} NOT NULL
);
CREATE INDEX outbound_contacts_due ON outbound_contacts (campaign_id, status, next_due_us);
CREATE INDEX outbound_contacts_phone ON outbound_contacts (phone_norm);
CREATE TABLE outbound_attempts (
    id {pk},
    contact_id {bigint} NOT NULL REFERENCES outbound_contacts(id),
    campaign_id {bigint} NOT NULL REFERENCES outbound_campaigns(id),
    claim_id TEXT NOT NULL UNIQUE,
    agent TEXT NOT NULL,
    claimed_us {bigint} NOT NULL,
    dialled_us {bigint},
    ended_us {bigint},
    outcome TEXT,
    disposition TEXT,
    reason TEXT,
    call_id TEXT,
    next_due_us {bigint}
);
CREATE INDEX outbound_attempts_contact ON outbound_attempts (contact_id, claimed_us);
CREATE TABLE outbound_dnc (
    number_norm TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    added_by TEXT NOT NULL,
    added_us {bigint} NOT NULL
)
"""

# Migration 22: what a claim looks up, each by an index probe (store/outbound/due.py) instead
# of sorting every due contact of the campaign on each claim.
CLAIM_INDEXES = """
CREATE INDEX outbound_contacts_waiting ON outbound_contacts (campaign_id, next_due_us, id)
    WHERE status = 'waiting';
CREATE INDEX outbound_contacts_callbacks ON outbound_contacts (callback_agent, next_due_us)
    WHERE status = 'waiting' AND callback_agent IS NOT NULL
"""
# Lapsed leases need none of their own: outbound_contacts_due (campaign, status) reaches the
# few claimed contacts of a campaign.
