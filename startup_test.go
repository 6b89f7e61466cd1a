package seedcore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore"
	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store/pgstore"
)

// TestNewSilentDatabase: with a DatabaseURL whose server accepts the
// connection and never answers, New returns when its context ends (as on
// SIGTERM) and, with no deadline of its own, at the connect timeout, with
// an error saying which. Before, it blocked in the driver's start-up
// exchange for good.
func TestNewSilentDatabase(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Silent(t)
	newApp := func(ctx context.Context, url string) <-chan error {
		done := make(chan error, 1)
		go func() {
			app, err := seedcore.New(ctx, seedcore.Config{DatabaseURL: url, Dispatcher: echoMux(t)})
			if err == nil {
				_ = app.Shutdown(context.Background())
			}
			done <- err
		}()
		return done
	}
	const bound = 20 * time.Second // correctness, not speed
	t.Run("context ends", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		done := newApp(ctx, dsn)
		time.Sleep(200 * time.Millisecond) // let it reach the connection attempt
		cancel()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(bound):
			t.Fatalf("New still blocked %s after its context ended", bound)
		}
	})
	t.Run("connect timeout", func(t *testing.T) {
		t.Parallel()
		select {
		case err := <-newApp(context.Background(), dsn+"&connect_timeout=1"):
			require.ErrorIs(t, err, pgstore.ErrConnectTimeout)
			require.ErrorContains(t, err, "connect timeout (1s)")
		case <-time.After(bound):
			t.Fatalf("New still blocked after %s with connect_timeout=1", bound)
		}
	})
}
