package pgstore

// ClaimSQLForTest returns the claim statement of s, for EXPLAIN in tests.
func ClaimSQLForTest(s *Store) string { return s.q.claim }
