package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// enqueue creates n chaos tasks and returns their IDs.
func enqueue(t testing.TB, c *cluster, n int) []string {
	t.Helper()
	batch := make([]store.NewTask, n)
	ids := make([]string, n)
	for i := range batch {
		ids[i] = store.NewID()
		batch[i] = store.NewTask{ID: ids[i], Type: "chaos", Params: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	created, err := c.store.CreateMany(context.Background(), batch)
	require.NoError(t, err)
	require.Equal(t, n, created)
	return ids
}

// countLog counts the records of p's log that match.
func countLog(t testing.TB, p *proc, match func(Record) bool) int {
	t.Helper()
	recs, _, err := ReadLog(p.logPath)
	if errors.Is(err, fs.ErrNotExist) {
		return 0 // not started yet
	}
	require.NoError(t, err)
	n := 0
	for _, r := range recs {
		if match(r) {
			n++
		}
	}
	return n
}

func isEv(ev string) func(Record) bool { return func(r Record) bool { return r.Ev == ev } }

// TestShutdown sends SIGTERM to a worker process with tasks in flight.
func TestShutdown(t *testing.T) {
	t.Parallel()

	// Tasks shorter than the drain timeout finish; nothing is claimed after
	// the signal; the process exits 0.
	t.Run("drain", func(t *testing.T) {
		t.Parallel()
		c := newCluster(t)
		ctx := context.Background()
		opts := chaosWorker
		opts.lease, opts.drain = 2*time.Second, 3*time.Second
		opts.durMin, opts.durMax = 300*time.Millisecond, 600*time.Millisecond
		p := c.start(opts)
		ids := enqueue(t, c, 40)
		eventually(t, 30*time.Second, func() bool { return countLog(t, p, isEv(EvStart)) >= opts.concurrency },
			"the worker did not fill its slots; stderr:\n%s", stderrTail(p, 20))

		p.signal(t, syscall.SIGTERM)
		require.Zero(t, p.wait(t, opts.drain+15*time.Second), "exit code; stderr:\n%s", stderrTail(p, 20))

		recs, torn, err := ReadLog(p.logPath)
		require.NoError(t, err)
		require.Zero(t, torn)
		var signalAt, exitAt time.Time
		inFlight := map[string]int{} // started before the signal: task → attempt
		for _, r := range recs {
			switch {
			case r.Ev == EvSignal:
				signalAt = r.Time()
			case r.Ev == EvExit:
				exitAt = r.Time()
				require.Zero(t, r.N, "logged exit code")
			case r.Ev == EvClaimCall && !signalAt.IsZero():
				t.Errorf("a claim was sent %s after the signal", r.Time().Sub(signalAt))
			case r.Ev == EvStart && signalAt.IsZero():
				inFlight[r.ID] = r.A
			}
		}
		require.False(t, signalAt.IsZero(), "the worker logged no signal")
		require.NotEmpty(t, inFlight)
		stopTook := exitAt.Sub(signalAt)
		require.Less(t, stopTook, opts.drain, "graceful stop should end within the drain timeout")

		applied := map[string]bool{}
		for _, r := range recs {
			if r.Ev == EvFinish && r.R == Applied && r.K == string(store.OutcomeComplete) {
				applied[r.ID] = true
			}
		}
		rows, err := c.readRows(ctx)
		require.NoError(t, err)
		started := 0
		for _, id := range ids {
			rw := rows[id]
			if a, ok := inFlight[id]; ok {
				started++
				require.True(t, applied[id], "in-flight task %s finished and its completion was applied", id)
				require.Equal(t, store.StatusCompleted, rw.Status, "task %s", id)
				require.Equal(t, a, rw.Attempts)
				continue
			}
			// Everything else was never claimed: still queued, no attempt.
			if !applied[id] {
				require.Equal(t, store.StatusQueued, rw.Status, "task %s", id)
				require.Zero(t, rw.Attempts, "task %s", id)
			}
		}
		t.Logf("SIGTERM with %d tasks in flight: all finished, process exited 0 after %s (drain timeout %s)",
			started, stopTook.Round(time.Millisecond), opts.drain)
	})

	// Tasks longer than the drain timeout have their leases released at hard
	// stop (queued, attempt not counted) and another process runs them at
	// once, long before the lease would have expired.
	t.Run("release", func(t *testing.T) {
		t.Parallel()
		c := newCluster(t)
		ctx := context.Background()
		const n = 4
		slow := chaosWorker
		slow.concurrency, slow.lease, slow.drain = n, 30*time.Second, 500*time.Millisecond
		slow.durMin, slow.durMax = time.Minute, time.Minute
		a := c.start(slow)
		ids := enqueue(t, c, n)
		eventually(t, 30*time.Second, func() bool { return countLog(t, a, isEv(EvStart)) == n },
			"the slow worker did not start every task; stderr:\n%s", stderrTail(a, 20))

		fast := chaosWorker
		fast.lease = 30 * time.Second
		b := c.start(fast)
		waitLog(t, b, 30*time.Second, "a claim", isEv(EvClaimRet))

		sent := time.Now()
		a.signal(t, syscall.SIGTERM)
		require.Zero(t, a.wait(t, slow.drain+15*time.Second), "exit code; stderr:\n%s", stderrTail(a, 20))
		aExit := time.Since(sent)
		require.True(t, drained(t, c, n, slow.lease/3),
			"the released tasks should run again well before their lease (%s) would expire", slow.lease)
		rerun := time.Since(sent)

		recs, _, err := ReadLog(a.logPath)
		require.NoError(t, err)
		released := 0
		for _, r := range recs {
			if r.Ev == EvFinish && r.K == string(store.OutcomeRelease) && r.R == Applied {
				released++
			}
		}
		require.Equal(t, n, released, "every in-flight task's lease was released")
		rows, err := c.readRows(ctx)
		require.NoError(t, err)
		for _, id := range ids {
			rw := rows[id]
			require.Equal(t, store.StatusCompleted, rw.Status)
			require.Equal(t, 1, rw.Attempts, "the released attempt is not counted")
			var res struct {
				Worker  string `json:"worker"`
				Attempt int    `json:"attempt"`
			}
			require.NoError(t, json.Unmarshal(rw.Result.Raw, &res))
			require.Equal(t, b.name, res.Worker)
			require.Equal(t, 1, res.Attempt)
		}
		t.Logf("SIGTERM with %d tasks longer than the drain (%s): exited 0 after %s, leases released, all re-run by another process %s after the signal (lease %s)",
			n, slow.drain, aExit.Round(time.Millisecond), rerun.Round(time.Millisecond), slow.lease)
	})
}
