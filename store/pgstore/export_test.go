package pgstore

// QueriesForTest returns the named statements of s, for EXPLAIN in tests.
func QueriesForTest(s *Store) map[string]string {
	return map[string]string{
		"claim": s.q.claim, "claimSettings": s.q.claimSettings, "heartbeat": s.q.heartbeat, "rescue": s.q.rescue, "trim": s.q.trim,
	}
}

// CopyThreshold is the batch size from which CreateMany uses COPY.
const CopyThreshold = copyThreshold
