// Package chaos is the reliability proof of the task queue: a harness that
// runs worker processes against one PostgreSQL database, disturbs them, and
// checks the promise the engine makes (at-least-once delivery, nothing
// lost, no stale write winning) the way Jepsen checks a queue: every task
// is looked for as lost, duplicated or unexpected.
//
// The package itself holds only the append-only event log that worker
// processes write and the harness reads ([Log], [Record], [ReadLog]); the
// harness is its test suite, and the worker program is
// internal/chaos/worker.
//
// # Running
//
// The tests need PostgreSQL (TEST_DATABASE_URL; see internal/pgtest):
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	    go test -race ./internal/chaos/
//
// runs the short mode (about a minute). The long mode, for a release or a
// change to the engine or the stores, runs longer with more tasks, more
// workers and more faults, and writes its report to a file:
//
//	go test ./internal/chaos -run TestChaos -chaos.long -chaos.report=/tmp/chaos.txt -timeout 30m
//
// The tests build the worker with "go build" (without -race, to keep the
// workers fast) into a temporary directory.
//
// # What TestChaos does
//
// It starts several worker processes, each running a taskqueue.Member, a
// taskqueue.Pool, a taskqueue.Rescuer and a pgstore.Listener under a
// supervisor (-chaos.nomember leaves the member out), with a
// short lease (1s, heartbeat every lease/3) and a clock offset (half the
// workers +5m, half -5m: every lease decision is on the database clock, so
// skewed workers must behave the same). It enqueues tasks at a steady rate
// and, meanwhile, SIGKILLs a random worker at intervals (starting a
// replacement), SIGSTOPs one worker for longer than its lease and then
// SIGCONTs it, and terminates the workers' database connections with
// pg_terminate_backend (selected by each worker's application_name, never
// any other connection). Then it waits for the queue to drain, stops the
// workers with SIGTERM and checks every task against the workers' logs and
// the database rows.
//
// # The checks
//
//   - Every enqueued task reached a terminal state, and it is completed:
//     none lost. No worker ran a task that was never enqueued (unexpected).
//   - A claim never handed one (task, attempt) to two workers.
//   - Every execution other than the one that completed the task belongs to
//     an attempt whose process was killed, stopped or cut off; an attempt
//     number that no worker logged belongs to a claim whose answer was lost
//     (its process was killed or its connection cut mid-claim).
//   - No task completed twice.
//   - No outcome came from a worker without the lease: the stored result
//     names the worker and attempt that wrote it, and they are the last
//     claimant at the task's final attempt number. Stale writes were
//     rejected with store.ErrLeaseLost, and are counted.
//
// TestRescueTime (with -chaos.rescue) times, from outside, how long the
// running tasks of a SIGKILLed or SIGSTOPped worker wait before another
// worker holds them, with the library's default lease and sweep; with
// -chaos.rescue.nomember the workers do not join, as before membership.
// TestLeaderKill kills the leader again and again while its schedule
// creates a task every second, and checks that every second has exactly
// one task; it reports how long no process led after each kill.
//
// TestShutdown checks the graceful stop of a worker process (SIGTERM) and
// TestPoison checks that tasks that always panic, time out or carry bad
// params end failed after the right number of attempts without slowing
// healthy tasks down.
//
// # Log timestamps
//
// Each [Record] carries the host's real time (time.Now, not the worker's
// offset clock): all the processes run on one machine, so the harness can
// order the events of different workers and relate them to the faults it
// injected. The workers' engines never see that time; they run on the
// offset clock.
package chaos
