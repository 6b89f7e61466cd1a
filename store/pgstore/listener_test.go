package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/store/storetest"
)

const eventWait = 10 * time.Second

// startListener runs a listener on b's schema until the test ends and
// returns its subscription, after the first resync (LISTEN is in place).
func startListener(t *testing.T, b *bundle) (*pgstore.Listener, <-chan store.Event) {
	t.Helper()
	l := pgstore.NewListener(b.env.DSN, pgstore.ListenerOptions{
		Schema:       b.env.Schema,
		MinReconnect: 10 * time.Millisecond,
		MaxReconnect: 100 * time.Millisecond,
		PingInterval: 50 * time.Millisecond,
	})
	events, unsubscribe := l.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled, "Serve returns ctx.Err()")
		case <-time.After(eventWait):
			t.Errorf("Serve did not return after cancel")
		}
		unsubscribe()
	})
	receive(t, events, eventWait, "initial resync", func(ev store.Event) bool { return ev.Kind == store.EventResync })
	return l, events
}

func isKind(k store.EventKind, id string) func(store.Event) bool {
	return func(ev store.Event) bool { return ev.Kind == k && (id == "" || ev.TaskID == id) }
}

func TestListenerEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	_, events := startListener(t, b)
	s := b.store

	queued, _, err := s.Create(b.ctx, store.NewTask{Type: "t"})
	require.NoError(t, err)
	receive(t, events, eventWait, "ready after create", isKind(store.EventReady, ""))

	held, _, err := s.Create(b.ctx, store.NewTask{Type: "t", Hold: true})
	require.NoError(t, err)
	_, err = s.Run(b.ctx, held.ID)
	require.NoError(t, err)
	receive(t, events, eventWait, "changed after run", isKind(store.EventChanged, held.ID))

	claimed, err := s.Claim(b.ctx, "w1", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	receive(t, events, eventWait, "changed after claim", isKind(store.EventChanged, ""))

	_, err = s.Cancel(b.ctx, claimed[0].ID)
	require.NoError(t, err)
	receive(t, events, eventWait, "cancel of a running task", isKind(store.EventCancel, claimed[0].ID))

	other := held.ID
	if claimed[0].ID == held.ID {
		other = queued.ID
	}
	_, err = s.Cancel(b.ctx, other)
	require.NoError(t, err)
	receive(t, events, eventWait, "changed after cancel of a queued task", isKind(store.EventChanged, other))

	n, err := s.CreateMany(b.ctx, []store.NewTask{{Type: "a"}, {Type: "b"}})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	receive(t, events, eventWait, "ready after create many", isKind(store.EventReady, ""))

	// A batch large enough to go through COPY notifies as well.
	bulk := make([]store.NewTask, pgstore.CopyThreshold)
	for i := range bulk {
		bulk[i] = store.NewTask{Type: "bulk"}
	}
	n, err = s.CreateMany(b.ctx, bulk)
	require.NoError(t, err)
	require.Equal(t, len(bulk), n)
	receive(t, events, eventWait, "ready after a COPY create many", isKind(store.EventReady, ""))
}

func TestListenerCreateTxNotifiesOnCommitOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	_, events := startListener(t, b)

	tx, err := b.env.DB.BeginTxx(b.ctx, nil)
	require.NoError(t, err)
	_, _, err = b.store.CreateTx(b.ctx, tx, store.NewTask{Type: "t"})
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	// A marker sent after the rollback: everything before it has arrived.
	_, err = b.env.DB.Exec(`SELECT pg_notify($1, 'c:marker')`, b.env.Schema)
	require.NoError(t, err)
	receive(t, events, eventWait, "marker", func(ev store.Event) bool {
		require.NotEqual(t, store.EventReady, ev.Kind, "a rolled-back create notified")
		return ev.TaskID == "marker"
	})

	tx, err = b.env.DB.BeginTxx(b.ctx, nil)
	require.NoError(t, err)
	_, _, err = b.store.CreateTx(b.ctx, tx, store.NewTask{Type: "t"})
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	receive(t, events, eventWait, "ready after commit", isKind(store.EventReady, ""))
}

func TestListenerNoStatusNotify(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{NoStatusNotify: true})
	_, events := startListener(t, b)
	_, _, err := b.store.Create(b.ctx, store.NewTask{Type: "t"})
	require.NoError(t, err)
	receive(t, events, eventWait, "ready", isKind(store.EventReady, ""))
	claimed, err := b.store.Claim(b.ctx, "w1", 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	_, err = b.store.Cancel(b.ctx, claimed[0].ID)
	require.NoError(t, err)
	// The cancel request still arrives, and no status change came before it.
	receive(t, events, eventWait, "cancel", func(ev store.Event) bool {
		require.NotEqual(t, store.EventChanged, ev.Kind, "status notification sent although disabled")
		return ev.Kind == store.EventCancel
	})
}

func TestListenerResyncAfterConnectionLoss(t *testing.T) {
	t.Parallel()
	b := setup(t, pgstore.Options{})
	_, events := startListener(t, b)

	require.Positive(t, b.env.TerminateConnections(t), "no connection was terminated")
	receive(t, events, eventWait, "resync after reconnect", isKind(store.EventResync, ""))

	// The store's own pool lost its connections too; retry the first write
	// until a fresh connection serves it.
	deadline := time.Now().Add(eventWait)
	for {
		_, _, err := b.store.Create(b.ctx, store.NewTask{Type: "t"})
		if err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "create kept failing: %v", err)
	}
	receive(t, events, eventWait, "ready after reconnect", isKind(store.EventReady, ""))
}

func TestListenerBadSchema(t *testing.T) {
	t.Parallel()
	l := pgstore.NewListener("postgres://unused", pgstore.ListenerOptions{Schema: "Bad-Name"})
	err := l.Serve(context.Background())
	require.True(t, errors.Is(err, pgstore.ErrInvalidSchema), "got %v", err)
}

// TestNotifierConformance runs the notification checks of storetest on
// the store with its Listener.
func TestNotifierConformance(t *testing.T) {
	t.Parallel()
	storetest.RunNotifier(t, func(t *testing.T) (storetest.Backend, store.Notifier) {
		b := setup(t, pgstore.Options{})
		l, _ := startListener(t, b)
		return b.store, l
	})
}
