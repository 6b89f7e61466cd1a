package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seedcore/seedcore/store"
)

// edgeInput is one case of the input contract: a task and whether every
// backend must store it.
type edgeInput struct {
	name   string
	nt     store.NewTask
	accept bool
}

// nested returns params nested depth levels deep: {"a":{"a":...{}}}.
func nested(depth int) json.RawMessage {
	return json.RawMessage(strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1))
}

// sized returns a params object of exactly n bytes.
func sized(n int) json.RawMessage {
	return json.RawMessage(`{"a":"` + strings.Repeat("x", n-len(`{"a":""}`)) + `"}`)
}

// EdgeInputs is the table of edge inputs that pins the input contract of
// [store.NewTask.Normalize]: every backend accepts exactly the cases
// marked accept, stores them so that every read renders them, and refuses
// the others with store.ErrInvalidTask, storing nothing. The refused cases
// are the classes PostgreSQL's text, jsonb and timestamptz columns refuse
// (NUL, invalid UTF-8, unpaired surrogates, numbers numeric cannot hold,
// times outside its or JSON's range) and the names the contract rules out.
func edgeInputs() []edgeInput {
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return ts
	}
	p := func(s string) store.NewTask { return store.NewTask{Type: "t", Params: json.RawMessage(s)} }
	return append([]edgeInput{
		// type
		{"type name chars", store.NewTask{Type: "A-1.b_c:d/e"}, true},
		{"type max length", store.NewTask{Type: strings.Repeat("t", store.MaxTypeLen)}, true},
		{"type too long", store.NewTask{Type: strings.Repeat("t", store.MaxTypeLen+1)}, false},
		{"type spaces", store.NewTask{Type: "   "}, false},
		{"type inner space", store.NewTask{Type: "email send"}, false},
		{"type NUL", store.NewTask{Type: "a\x00"}, false},
		{"type tab", store.NewTask{Type: "a\tb"}, false},
		{"type newline", store.NewTask{Type: "a\n"}, false},
		{"type terminal escape", store.NewTask{Type: "\x1b[31mred"}, false},
		{"type non-ASCII", store.NewTask{Type: "tâche"}, false},
		{"type invalid UTF-8", store.NewTask{Type: "a\xff"}, false},
		{"type leading dash", store.NewTask{Type: "-a"}, false},
		{"type leading dot", store.NewTask{Type: ".a"}, false},
		// domain
		{"domain empty", store.NewTask{Type: "t", Domain: ""}, true},
		{"domain name", store.NewTask{Type: "t", Domain: "billing.eu-1"}, true},
		{"domain too long", store.NewTask{Type: "t", Domain: strings.Repeat("d", store.MaxDomainLen+1)}, false},
		{"domain space", store.NewTask{Type: "t", Domain: "has space"}, false},
		{"domain NUL", store.NewTask{Type: "t", Domain: "\x00"}, false},
		{"domain leading slash", store.NewTask{Type: "t", Domain: "/x"}, false},
		// queue and partition
		{"queue empty", store.NewTask{Type: "t", Queue: ""}, true},
		{"queue name", store.NewTask{Type: "t", Queue: "mail.eu-1_b"}, true},
		{"queue longest", store.NewTask{Type: "t", Queue: strings.Repeat("q", store.MaxQueueLen)}, true},
		{"queue too long", store.NewTask{Type: "t", Queue: strings.Repeat("q", store.MaxQueueLen+1)}, false},
		{"queue slash", store.NewTask{Type: "t", Queue: "a/b"}, false},
		{"queue colon", store.NewTask{Type: "t", Queue: "a:b"}, false},
		{"queue leading dash", store.NewTask{Type: "t", Queue: "-a"}, false},
		{"queue space", store.NewTask{Type: "t", Queue: "a b"}, false},
		{"queue NUL", store.NewTask{Type: "t", Queue: "\x00"}, false},
		{"partition empty", store.NewTask{Type: "t", Partition: ""}, true},
		{"partition name", store.NewTask{Type: "t", Partition: "customer:42/eu"}, true},
		{"partition too long", store.NewTask{Type: "t", Partition: strings.Repeat("p", store.MaxTypeLen+1)}, false},
		{"partition space", store.NewTask{Type: "t", Partition: "a b"}, false},
		{"partition quote", store.NewTask{Type: "t", Partition: "it's"}, false},
		// description
		{"description unicode", store.NewTask{Type: "t", Description: "tab\tnew\nline ünï 😀 \u2028 \x1b[0m"}, true},
		{"description NUL", store.NewTask{Type: "t", Description: "a\x00b"}, false},
		{"description invalid UTF-8", store.NewTask{Type: "t", Description: "a\xffb"}, false},
		{"description encoded surrogate", store.NewTask{Type: "t", Description: "\xed\xa0\x80"}, false},
		{"description too long", store.NewTask{Type: "t", Description: strings.Repeat("d", store.MaxDescriptionBytes+1)}, false},
		// idempotency key
		{"key unicode", store.NewTask{Type: "t", IdempotencyKey: "ключ-1 #2"}, true},
		{"key max length", store.NewTask{Type: "t", IdempotencyKey: strings.Repeat("k", store.MaxIdempotencyKeyLen)}, true},
		{"key too long", store.NewTask{Type: "t", IdempotencyKey: strings.Repeat("k", store.MaxIdempotencyKeyLen+1)}, false},
		{"key NUL", store.NewTask{Type: "t", IdempotencyKey: "k\x00"}, false},
		{"key tab", store.NewTask{Type: "t", IdempotencyKey: "k\t1"}, false},
		{"key escape", store.NewTask{Type: "t", IdempotencyKey: "\x1b[2J"}, false},
		{"key C1 control", store.NewTask{Type: "t", IdempotencyKey: "k\u0085"}, false},
		{"key invalid UTF-8", store.NewTask{Type: "t", IdempotencyKey: "k\xff"}, false},
		// params: strings and names
		{"params surrogate pair", p(`{"a":"\ud83d\ude00","😀":"é"}`), true},
		{"params escaped controls", p(`{"a":"\u0001\u001f\b\f\n\r\t\"\\\/"}`), true},
		{"params escaped backslash before u0000", p(`{"a":"\\u0000"}`), true},
		{"params NUL escape", p(`{"a":"\u0000"}`), false},
		{"params NUL escape in name", p(`{"\u0000":1}`), false},
		{"params NUL escape nested", p(`{"a":[{"b":"x\u0000y"}]}`), false},
		{"params lone high surrogate", p(`{"a":"\ud800"}`), false},
		{"params lone low surrogate", p(`{"a":"\udc00"}`), false},
		{"params high surrogate then letter", p(`{"a":"\ud800x"}`), false},
		{"params high surrogate then escape", p(`{"a":"\ud800\u0041"}`), false},
		{"params two high surrogates", p(`{"a":"\ud800\ud800"}`), false},
		{"params surrogate in name", p(`{"\udfff":1}`), false},
		{"params raw 0xff", p("{\"a\":\"\xff\"}"), false},
		{"params raw encoded surrogate", p("{\"a\":\"\xed\xa0\x80\"}"), false},
		{"params raw NUL", p("{\"a\":\"\x00\"}"), false},
		// params: numbers
		{"params big integer", p(`{"a":123456789012345678901234567890}`), true},
		{"params largest float", p(`{"a":1.7976931348623157e308,"b":-1.7976931348623157e308}`), true},
		{"params underflow", p(`{"a":1e-400,"b":-4.9e-324}`), true},
		{"params exponent at bound", p(`{"a":1e-10000,"b":2.5E+300}`), true},
		{"params most decimals", p(`{"a":0.` + strings.Repeat("0", 6382) + `1e-10000}`), true},
		{"params one decimal too many", p(`{"a":0.` + strings.Repeat("0", 6383) + `1e-10000}`), false},
		{"params zero big exponent", p(`{"a":0e10000}`), true},
		{"params huge exponent", p(`{"a":1e999999}`), false},
		{"params overflow", p(`{"a":1e400}`), false},
		{"params negative overflow", p(`{"a":-2e308}`), false},
		{"params exponent too large", p(`{"a":1e-10001}`), false},
		{"params zero too many decimals", p(`{"a":0e-20000}`), false},
		{"params zero exponent too big", p(`{"a":0e10001}`), false},
		// params: shape and size
		{"params max depth", p(string(nested(store.MaxJSONDepth))), true},
		{"params too deep", p(string(nested(store.MaxJSONDepth + 1))), false},
		{"params max size", store.NewTask{Type: "t", Params: sized(store.MaxParamsBytes)}, true},
		{"params too large", store.NewTask{Type: "t", Params: sized(store.MaxParamsBytes + 1)}, false},
		{"params array", p(`[1]`), false},
		{"params trailing data", p(`{"a":1}x`), false},
		{"params leading zero", p(`{"a":01}`), false},
		{"params unclosed", p(`{"a":`), false},
		// events
		{"events", store.NewTask{Type: "t", Events: json.RawMessage(`{"e":["x"],"n":1.5}`)}, true},
		{"events NUL escape", store.NewTask{Type: "t", Events: json.RawMessage(`["\u0000"]`)}, false},
		{"events huge number", store.NewTask{Type: "t", Events: json.RawMessage(`[1e999999]`)}, false},
		// run_after
		{"run_after last microsecond", store.NewTask{Type: "t", RunAfter: at("9999-12-31T23:59:59.999999Z")}, true},
		{"run_after first second", store.NewTask{Type: "t", RunAfter: at("0001-01-01T00:00:01Z")}, true},
		{"run_after year 10000", store.NewTask{Type: "t", RunAfter: at("9999-12-31T23:59:59-23:59")}, false},
		{"run_after year -1", store.NewTask{Type: "t", RunAfter: at("0000-01-01T00:00:00+23:59")}, false},
		{"run_after year 0", store.NewTask{Type: "t", RunAfter: at("0000-06-01T00:00:00Z")}, false},
		{"run_after far future", store.NewTask{Type: "t", RunAfter: time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)}, false},
	}, traceInputs()...)
}

func testInput(t *testing.T, s *suite) {
	t.Parallel()
	t.Run("EdgeInputs", func(t *testing.T) {
		ctx, b := s.fresh(t)
		stored := 0
		for _, tc := range edgeInputs() {
			t.Run(tc.name, func(t *testing.T) {
				task, created, err := b.Create(ctx, tc.nt)
				if !tc.accept {
					require.ErrorIs(t, err, store.ErrInvalidTask)
					require.NotContains(t, err.Error(), "\x00", "the error quotes the value")
					requireTotal(t, ctx, b, stored)
					return
				}
				require.NoError(t, err)
				require.True(t, created)
				stored++
				requireReadable(t, ctx, b, task.ID, tc.nt)
			})
		}
	})

	// The same cases at once: good and bad tasks arrive together, as they
	// do from many clients, and each gets its own answer.
	t.Run("EdgeInputsConcurrent", func(t *testing.T) {
		ctx, b := s.fresh(t)
		cases := edgeInputs()
		errs := make([]error, len(cases))
		got := make([]store.Task, len(cases))
		var wg sync.WaitGroup
		for i, tc := range cases {
			wg.Go(func() { got[i], _, errs[i] = b.Create(ctx, tc.nt) })
		}
		wg.Wait()
		accepted := 0
		for i, tc := range cases {
			if !tc.accept {
				require.ErrorIs(t, errs[i], store.ErrInvalidTask, tc.name)
				continue
			}
			require.NoError(t, errs[i], tc.name)
			accepted++
			requireReadable(t, ctx, b, got[i].ID, tc.nt)
		}
		requireTotal(t, ctx, b, accepted)
	})

	t.Run("EdgeInputsCreateMany", func(t *testing.T) {
		ctx, b := s.fresh(t)
		bc := bulk(t, b)
		for _, tc := range edgeInputs() {
			n, err := bc.CreateMany(ctx, []store.NewTask{{Type: "ok"}, tc.nt})
			if tc.accept {
				require.NoError(t, err, tc.name)
				require.Equal(t, 2, n, tc.name)
				continue
			}
			require.ErrorIs(t, err, store.ErrInvalidTask, tc.name)
		}
		accepted := 0
		for _, tc := range edgeInputs() {
			if tc.accept {
				accepted += 2
			}
		}
		requireTotal(t, ctx, b, accepted)
	})

	t.Run("FilterText", func(t *testing.T) {
		ctx, b := s.fresh(t)
		mustCreate(t, ctx, b, store.NewTask{Type: "a"})
		for _, f := range []store.Filter{
			{Type: "a\x00"}, {Domain: "\x00"}, {Type: "\xff"}, {Domain: "a\xffb"},
			{CreatedAfter: time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)},
			{CreatedBefore: time.Date(-5000, 1, 1, 0, 0, 0, 0, time.UTC)},
		} {
			_, err := b.List(ctx, f)
			require.ErrorIs(t, err, store.ErrInvalidTask, "%+v", f)
		}
	})
}

// requireTotal checks how many tasks the backend holds.
func requireTotal(t *testing.T, ctx context.Context, b Backend, want int) {
	t.Helper()
	page, err := b.List(ctx, store.Filter{Limit: 1})
	require.NoError(t, err)
	require.Equal(t, want, page.Total, "tasks stored")
}

// requireReadable checks that task id reads back as nt asked, through Get
// and List, and renders as JSON with no field marked invalid.
func requireReadable(t *testing.T, ctx context.Context, b Backend, id string, nt store.NewTask) {
	t.Helper()
	got := mustGet(t, ctx, b, id)
	require.Equal(t, nt.Type, got.Type)
	require.Equal(t, nt.Description, got.Description)
	require.Equal(t, nt.Domain, got.Domain)
	wantQueue := nt.Queue
	if wantQueue == "" {
		wantQueue = store.DefaultQueue
	}
	require.Equal(t, wantQueue, got.Queue)
	require.Equal(t, nt.Partition, got.Partition)
	require.Equal(t, nt.IdempotencyKey, got.IdempotencyKey)
	if len(nt.Params) > 0 {
		require.JSONEq(t, string(nt.Params), string(got.Params))
	}
	if len(nt.Events) > 0 {
		require.JSONEq(t, string(nt.Events), string(got.Events))
	}
	if !nt.RunAfter.IsZero() {
		require.True(t, nt.RunAfter.Equal(got.RunAfter), "run_after %s, want %s", got.RunAfter, nt.RunAfter)
	}
	if len(nt.TraceContext) > 0 {
		require.Equal(t, nt.TraceContext, got.TraceContext)
	} else {
		require.Nil(t, got.TraceContext)
	}
	require.Empty(t, got.Invalid)
	out, err := json.Marshal(got)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(out, &back))
	require.NotContains(t, back, "invalid")
	found := false
	for _, x := range listAll(t, ctx, b, store.Filter{Limit: store.MaxListLimit}) {
		if x.ID == id {
			found = true
			_, err := json.Marshal(x)
			require.NoError(t, err)
		}
	}
	require.True(t, found, "task not listed")
}
