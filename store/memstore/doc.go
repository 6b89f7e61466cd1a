// Package memstore is the in-memory task store: the embedded default
// backend of seedcore. It keeps every task in process memory, so it is
// fast and needs nothing to run, but it is not durable: a restart loses
// every task. Use store/pgstore when tasks must survive a restart or be
// shared by several processes.
//
// # Use
//
// [New] returns a ready [Store]. It implements [store.Store] (the HTTP
// API's half), the taskqueue Queue and Cleaner interfaces (the workers'
// and the retention service's half) and [store.Notifier], and passes the
// store/storetest conformance suite like every other backend.
//
// # Cost
//
// Ready tasks sit in a heap ordered by (priority desc, run_after, id) and
// delayed ones in a heap ordered by run_after that feeds the first as they
// fall due, so a claim costs O(log n) per task at most. Each heap keeps a
// sorted run beside it for the entries that arrive in key order (a bulk
// insert's tasks, leases taken one claim after another, tasks finishing
// in time order): they go in and come out in O(1). Running tasks point at
// their worker's record (a heartbeat checks the holder) and are kept in a
// heap by lease expiry (a rescue looks only at expired leases); terminal
// tasks are kept in a heap by finish time for retention. Get by prefix is
// a binary search. List scans every task, since it reports the real total
// of matches.
//
// Every stored task is live memory that each garbage collection cycle
// scans: with hundreds of thousands of tasks held, the collector can take
// a third of a busy process's CPU. The store leaves GOGC and GOMEMLIMIT to
// the program; raising GOGC trades memory for that CPU (bench/README.md,
// items 32 and 33).
//
// # Time
//
// Every timestamp and every due or expiry decision uses [Options.Now]
// (time.Now by default), in UTC, truncated to microseconds as PostgreSQL
// stores them. Tests inject a clock to expire leases without waiting.
//
// # Notifications
//
// [Store.Subscribe] delivers [store.Event] hints on a buffered channel
// per subscriber; a store operation never waits for a slow subscriber.
package memstore
