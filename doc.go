// Package seedcore is durable, supervised background task processing for
// Go services.
//
// A task arrives over HTTP (POST /api/v1/tasks) or from Go code
// ([App.Enqueue]); the eventizer tags its text and redacts PII from it; the
// store keeps it; a worker pool claims it under a lease, hands it to a
// dispatcher (an in-process handler or a remote service), retries it with
// backoff when that fails, and records the outcome. A suture supervisor
// tree keeps every long-running piece alive and stops them gracefully.
//
// # Packages
//
//	seedcore               the App: wires everything below into one service
//	store                  the task record, its lifecycle and the Store contract
//	  store/memstore       in-memory backend, the embedded default (not durable)
//	  store/pgstore        PostgreSQL backend: migrations, SKIP LOCKED, LISTEN/NOTIFY
//	  store/storetest      the conformance suite every backend passes
//	taskqueue              worker pool, leases, retries, rescuer, dispatchers
//	  taskqueue/httpapi    net/http handlers for the task API and health
//	  taskqueue/dashboard  the operator dashboard (server-rendered HTML)
//	supervisor             the suture tree: restarts with backoff, readiness, stop
//	eventizer              event tagging and PII redaction, remote enrichment
//	metrics                Prometheus metrics of the App, on the caller's registry
//	seedcoretest           test helpers: an App per test, WaitFor, Drain, a clock
//	otelseed               OpenTelemetry spans and metrics per attempt (own module)
//	cmd/seedcore           the command-line tool: migrate, serve, enqueue, list, ...
//	examples/...           runnable servers: minimal, embedded, remote executor
//
// # Using it
//
// Build an [App] with [New], giving it at least a dispatcher (a
// taskqueue.Mux routes by task type). Run it with [App.Serve] (it is a
// suture.Service, so it also runs inside a caller's suture tree), put
// its HTTP side in a host's mux with [App.Mount] (everything under
// Config.BasePath) or serve [App.Handler] alone, and stop it with
// [App.Shutdown]; or let [App.Run] serve it with an HTTP server, with
// timeouts and a bounded drain, until a context ends. Without a
// database it runs on the in-memory store; with Config.DatabaseURL or
// Config.DB it runs on PostgreSQL, where many processes share one queue.
// Test code that uses an App with the seedcoretest package.
//
// # Guarantees
//
// Delivery is at least once. A task's outcome is written only by the
// worker that holds its lease (fenced by worker and attempt), so a worker
// that lost its lease never overwrites the task; a crashed process's tasks
// run again within the lease plus the rescue interval. A task created
// through the App ([App.Enqueue], [App.EnqueueTx], [App.EnqueueMany],
// [App.Store], the HTTP API or the command line) has its description and
// params redacted before they reach the store, and an idempotency key
// holding personal data is refused; each result and error text is
// redacted by the worker pool before it is written, logged or reported.
// [Config.Redact] opts single fields out. Only [App.UnredactedStore] and
// [App.UnredactedPostgreSQL] store what they are given.
package seedcore
