"""The store: every DynamoDB call and expression (besides Powertools' idempotency records, `IDEM#…`,
written by its own persistence layer: `hellojohn.edge.idempotency`).

Key design (one table, see docs/ARCHITECTURE.md):

| item | PK | SK |
|---|---|---|
| tenant | `TNT#{tid}` | `TENANT` |
| API key (by hash) | `KEY#{sha256(key)}` | `KEY` |
| user | `TNT#{tid}#USR#{uid}` | `USER` |
| session | `TNT#{tid}#USR#{uid}` | `SES#{sid}` |
| change history entry | `TNT#{tid}#USR#{uid}` | `EVT#{change_id}` |
| email claim | `TNT#{tid}#EMAIL#{email_key}` | `EMAIL` |
| verification token | `VFY#{sha256(token)}` | `VERIFY` |
| sign-in guesses for an unknown address | `TNT#{tid}#GUESS#{sha256(email_key)}` | `GUESS` |
| verification emails to an address in an hour | `TNT#{tid}#MAILTO#{sha256(email_key)}#{hour}` | `MAILTO` |

A request touches one user's item collection (plus a claim item when an email moves). The only
index, `GSI1` (keys only), lists a tenant's users and is written on create alone.
"""
