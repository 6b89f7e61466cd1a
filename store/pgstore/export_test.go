package pgstore

// ClaimSQLForTest returns the claim statement of s, for EXPLAIN in tests.
func ClaimSQLForTest(s *Store) string { return s.q.claim }

// FinishSQLForTest returns the finish statement of s, for EXPLAIN in tests.
func FinishSQLForTest(s *Store) string { return s.q.finish }
