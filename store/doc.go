// Package store defines the task record, its lifecycle, and the persistence
// contract that every backend implements.
//
// # The record and its lifecycle
//
// A [Task] moves through the statuses
//
//	created ──run──▶ queued ──claim──▶ running ──▶ completed | failed | cancelled
//	                   ▲                  │                      │        │
//	                   │   release        ├──▶ retry ──claim──▶ running … │
//	                   ├──────────────────┘                      │        │
//	                   └──────────── operator retry ─────────────┴────────┘
//
// and [CanTransition] is the single table of legal moves. A task is
// claimed under a lease (LockedBy, LeaseExpiresAt) that its worker extends
// with heartbeats; every outcome a worker writes is fenced by that lease
// (worker name and attempt number), so a worker that lost its lease cannot
// overwrite the task: its write changes nothing and reports [ErrLeaseLost].
//
// # Backends
//
// [Store] is the half the HTTP API uses. The worker half (claim, heartbeat,
// finish, rescue) is the taskqueue package's Queue interface, defined where
// it is consumed, and taskqueue.Backend joins both halves and retention.
// Optional capabilities are found by type assertion: [BulkCreator],
// [EnrichmentWriter], [TxCreator]. All of it is implemented by
//
//   - store/memstore: in memory, the embedded default; not durable.
//   - store/pgstore: PostgreSQL, durable and shared by many processes.
//
// and store/storetest is the conformance suite both pass.
//
// # Input
//
// [NewTask.Normalize] is the one input contract: every backend calls it
// before it stores anything, so all of them accept and reject the same
// tasks, and what they accept PostgreSQL's columns hold and JSON renders.
// Types and domains are names ([ValidName]); text is valid UTF-8 without
// NUL; params and events pass [CheckJSON]; run_after lies between
// [MinRunAfter] and [MaxRunAfter]. A row that breaks the contract anyway
// (written by hand) is read with the offending time zeroed and named in
// Task.Invalid, so reads never fail on it.
//
// # Errors
//
// Errors wrap the package's sentinels ([ErrNotFound], [ErrAmbiguousID],
// [ErrInvalidID], [ErrConflict], [ErrInvalidTransition], [ErrInvalidTask],
// [ErrLeaseLost], ...): test them with [errors.Is].
package store
