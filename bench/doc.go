// Command bench compares seedcore with River on the same PostgreSQL, in the
// same run.
//
// Each system is driven through one small adapter (system.go) on a freshly
// created database (CREATE DATABASE bench_<random>, dropped after), and the
// runs alternate between the systems so that drift on a shared machine hits
// all of them. seedcore runs with its defaults (seedcore.Config{} and the
// taskqueue defaults); River runs twice: with its defaults (100 workers on
// the default queue) and tuned the way its own benchmark tunes it
// (MaxWorkers 2000, FetchCooldown 2ms, FetchPollInterval 20ms).
//
// # Workloads
//
//   - W1 burn-down: bulk insert of -tasks no-op tasks (inserts/s), then the
//     workers start and the clock runs until the database records all of
//     them completed (worked/s); one table per -workers count.
//   - W2 pickup latency: single inserts (seedcore: App.Enqueue with a short
//     description) at each -rate per second for -latency, an open loop,
//     with the workers running; latency from the insert's commit (its call
//     returned) to the handler's start, how many handlers started before
//     their insert returned (early), and the latency from the insert's
//     call.
//   - W3 mixed: -producers goroutines insert single tasks as fast as they
//     can for -mixed while the workers run: inserted/s, completed/s (as
//     recorded by the database at the end of the window) and the backlog.
//   - W4 HTTP path (seedcore only): the same producers through
//     POST /api/v1/tasks of App.Handler on a real net/http server on
//     127.0.0.1, beside the same load through App.Enqueue, on the
//     in-memory store and on PostgreSQL.
//   - W1 on the in-memory store (seedcore only), per -workers count.
//   - Multi-process (mp): W1 and W3 with the workers in -procs child
//     processes of this program on one database, this process inserting:
//     the total and the slowest and fastest process.
//
// # Usage
//
//	cd bench && go run . -db "$TEST_DATABASE_URL"            # full: 3 runs each
//	cd bench && go run . -db "$TEST_DATABASE_URL" -quick     # smoke: 1 run, small
//	cd bench && go run . -db "$TEST_DATABASE_URL" -markdown  # table in Markdown
package main
