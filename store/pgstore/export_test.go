package pgstore

// QueriesForTest returns the named statements of s, for EXPLAIN in tests.
func QueriesForTest(s *Store) map[string]string {
	return map[string]string{
		"claim": s.q.claim, "claimTyped": s.q.claimTyped,
		"claimFair":       s.q.claimWith(`'w1'`, `10`, `60000000`, `'default'`, claimCond(`'{t}'::text[]`), fairTurn("", false), true),
		"claimMixed":      s.q.claimWith(`'w1'`, `10`, `60000000`, `'default'`, "", "", true),
		"claimMixedTyped": s.q.claimWith(`'w1'`, `10`, `60000000`, `'default'`, claimCond(`'{t}'::text[]`), "", true),
		"claimCapped":     s.q.claimLimitedWith(`'w1'`, `10`, `60000000`, `'default'`, claimCond(`'{t}'::text[]`), "", true, true),
		"claimCappedFair": s.q.claimLimitedWith(`'w1'`, `10`, `60000000`, `'default'`, claimCond(`'{t}'::text[]`), fairTurn("", false), true, true), "claimSettings": s.q.claimSettings, "fairSettings": s.q.fairSettings, "heartbeat": s.q.heartbeat, "finish": s.q.finish, "rescue": s.q.rescue, "trim": s.q.trim,
	}
}

// ListPageForTest returns the page query of List for the filter cond,
// with $1 as the page size.
func ListPageForTest(s *Store, cond string) string { return s.listPage(cond, "$1") }

// CopyThreshold is the batch size from which CreateMany uses COPY.
const CopyThreshold = copyThreshold

// SetBeforeBatch sets the hook the inserter of s calls before each shared
// insert statement, with the number of tasks in it.
func SetBeforeBatch(s *Store, f func(n int)) { s.inserts.beforeBatch = f }

// Queued returns how many Create calls of s wait for a shared statement.
func Queued(s *Store) int {
	s.inserts.mu.Lock()
	defer s.inserts.mu.Unlock()
	return len(s.inserts.waiting)
}

// Closing reports whether Close has been called on s.
func Closing(s *Store) bool { return s.closed.Load() }

// MigrationCount returns how many migrations are embedded.
func MigrationCount() int {
	ms, err := loadMigrations()
	if err != nil {
		panic(err)
	}
	return len(ms)
}
