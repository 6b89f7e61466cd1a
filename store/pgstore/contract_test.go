package pgstore_test

import (
	"encoding/json"
	"testing"

	"github.com/seedcore/seedcore/store"
	"github.com/seedcore/seedcore/store/pgstore"
)

// FuzzInputContract checks the input contract against PostgreSQL itself:
// whatever store.NewTask.Normalize accepts, the PostgreSQL store stores
// (and reads back), so the in-memory store, which stores whatever
// Normalize accepts, can never accept what PostgreSQL refuses. Inputs are
// the params and the description of a task.
func FuzzInputContract(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":"\u0000"}`, `{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, "{\"a\":\"\xff\"}",
		`{"a":1e999999}`, `{"a":1e308}`, `{"a":1e-10000}`, `{"a":0e10000}`, `{"a":-0.0e-0}`,
		`{"a":[1,{"b":[true,false,null]}]}`, `{"\u00e9":"\u2028"}`, `{"a":"\\u0000"}`,
		`{"a":0.00000000000000000000000000000000000000000000000000001e-10000}`,
	} {
		f.Add([]byte(s), "description")
	}
	b := setup(f, pgstore.Options{NoPrepare: true})
	f.Fuzz(func(t *testing.T, params []byte, description string) {
		nt := store.NewTask{Type: "fuzz", Params: json.RawMessage(params), Description: description}
		if _, err := nt.Normalize(); err != nil {
			return
		}
		task, _, err := b.store.Create(b.ctx, nt)
		if err != nil {
			t.Fatalf("Normalize accepted params %q and description %q, PostgreSQL refused: %v", params, description, err)
		}
		got, err := b.store.Get(b.ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(got); err != nil || len(got.Invalid) > 0 {
			t.Fatalf("stored task does not render: %v %v", err, got.Invalid)
		}
	})
}
