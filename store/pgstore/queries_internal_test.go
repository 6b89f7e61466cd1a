package pgstore

import (
	"strings"
	"testing"

	"github.com/lib/pq"
)

// TestClaimWithValues: the claim Store.Claim sends is the claim statement
// (the one EXPLAINed by TestPlansUseIndexes) with each value in place of
// its own parameter, and nothing else changed, whatever the worker name
// holds (a quote, or text that looks like a parameter).
func TestClaimWithValues(t *testing.T) {
	t.Parallel()
	for _, notify := range []bool{true, false} {
		q := buildQueries("s", notify)
		for _, worker := range []string{"w1", "it's", "$2 $3", `a\b`} {
			w, limit, lease, queue := pq.QuoteLiteral(worker), "7", "60000000", pq.QuoteLiteral("q")
			want := strings.NewReplacer("$1", w, "$2", limit, "$3", lease, "$4", queue).Replace(q.claim)
			if got := q.claimWith(w, limit, lease, queue, "", "", false); got != want {
				t.Errorf("claim for worker %q:\n%s\nwant\n%s", worker, got, want)
			}
		}
		if got := q.claimWith("$1", "$2", "$3", "$4", "", "", false); got != q.claim {
			t.Errorf("claimWith of the parameters is not the claim statement")
		}
		typed := strings.ReplaceAll(q.claimTyped, "$5::text[]", `'{a,b}'::text[]`)
		if got := q.claimWith("$1", "$2", "$3", "$4", claimCond(`'{a,b}'::text[]`), "", false); got != typed {
			t.Errorf("claimWith of a type condition is not the typed claim statement")
		}
	}
}
