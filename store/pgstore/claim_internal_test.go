package pgstore

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/internal/pgtest"
	"github.com/seedcore/seedcore/store"
)

// pooledConn stands for a connection behind a pooler that hands each
// transaction a server connection of its own: its first messages fail
// with the errors in fail, in turn, as a server connection without the
// statement and then one that already holds it would; the rest go to
// the database. It records every message.
type pooledConn struct {
	querier
	fail []pq.ErrorCode
	sent []string
}

func (c *pooledConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.sent = append(c.sent, query)
	if len(c.fail) > 0 {
		code := c.fail[0]
		c.fail = c.fail[1:]
		return nil, &pq.Error{Code: code}
	}
	return c.querier.QueryContext(ctx, query, args...)
}

// TestClaimPreparedBehindPooler: when the statement is missing where the
// claim ran and present where the PREPARE ran, the claim sends its text
// and claims all the same.
func TestClaimPreparedBehindPooler(t *testing.T) {
	t.Parallel()
	env := pgtest.New(t)
	s, err := New(env.DB, Options{Schema: env.Schema})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx))
	task, _, err := s.Create(ctx, store.NewTask{Type: "p"})
	require.NoError(t, err)

	conn := &pooledConn{querier: env.DB, fail: []pq.ErrorCode{"26000", "42P05"}}
	w, n, us, q := pq.QuoteLiteral("w"), "5", "60000000", pq.QuoteLiteral(store.DefaultQueue)
	base := s.q.claimSettings + s.q.queueLimited(q, false, false)
	look, err := s.claimPreparedOn(ctx, conn, base+s.q.genericPlan+`EXECUTE `+s.q.claimName+`(`+w+`, `+n+`, `+us+`, `+q+`)`,
		`PREPARE `+s.q.claimName+` AS `+s.q.claim+`; `, "w", time.Minute,
		func() string { return base + s.q.claimWith(w, n, us, q, "", "", false) })
	require.NoError(t, err)
	require.Len(t, look.tasks, 1)
	require.Equal(t, task.ID, look.tasks[0].ID)
	require.Len(t, conn.sent, 3)
	require.True(t, strings.HasPrefix(conn.sent[1], "PREPARE "), conn.sent[1])
	require.NotContains(t, conn.sent[2], "EXECUTE", "the text claim")
}
