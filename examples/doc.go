// Package examples holds runnable programs that wire seedcore into
// ordinary net/http servers, using only the public API:
//
//   - examples/server: a minimal task service (go run ./examples/server),
//     on the in-memory store by default and on PostgreSQL when DATABASE_URL
//     is set.
//   - examples/embed: mounting the API into an existing mux and adding the
//     App to an existing suture tree.
//   - examples/remote: a worker process that dispatches its tasks to a
//     remote executor over HTTP, and that executor.
package examples
