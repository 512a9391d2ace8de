"""Outbound campaigns: whom to call next, when, and what became of each attempt.

`schema` (tables), `campaigns` (settings, pause), `hours` (calling hours in the contact's zone),
`contacts_csv` (one-transaction CSV import), `dnc` (the do-not-call list), `claims` (an agent
takes the next due contact atomically, leases, outcomes and the next attempt), `due` (the
claim's index lookups), `push` (due contacts announced over the live channel), `progress`
(supervisors' counts, a contact's history, the results export).
"""
