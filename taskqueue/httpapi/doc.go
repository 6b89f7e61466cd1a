// Package httpapi serves the task API over HTTP: create, look up, list,
// cancel and release tasks, follow a task's status as server-sent events,
// and answer liveness and readiness probes.
//
// # Routes
//
// [New] builds an [API] from a [Config]; [API.Handler] serves, under
// Config.Prefix (default "/api/v1"):
//
//	POST {prefix}/tasks                201 with the new task, 200 with the existing one for a repeated idempotency key
//	GET  {prefix}/tasks                {"tasks": [...], "total": n, "next_cursor": "..."}
//	GET  {prefix}/tasks/{id}           the task
//	POST {prefix}/tasks/{id}/cancel    the task, cancelled (or asked to cancel while running)
//	POST {prefix}/tasks/{id}/run       the task, released from created to queued
//	GET  {prefix}/tasks/{id}/events    text/event-stream of the task's status changes
//
// and at the root GET /health (200 {"status":"ok"} while the process
// serves) and GET /readyz (200 while Config.Ready returns nil, 503
// not_ready otherwise; the answer names what is not ready, never the
// error's text, which is logged).
//
// An {id} is a full task UUID or an unambiguous prefix of one: a prefix
// that matches several tasks is answered 409 ambiguous_id.
//
// # Creating a task
//
// The body of POST {prefix}/tasks is one JSON object:
//
//	{"type": "email.send", "description": "...", "domain": "billing",
//	 "params": {"to": 42}, "priority": 10, "max_attempts": 3,
//	 "run_after": "2030-01-02T15:04:05Z", "run_immediately": true,
//	 "idempotency_key": "order-42"}
//
// Only type is required. params must be an object and is passed on byte
// for byte (numbers are never converted); priority and max_attempts must
// be integers written without fraction or exponent; run_after is RFC 3339;
// run_immediately defaults to true, and false leaves the task created
// until POST .../run. The Idempotency-Key header may carry the key
// instead. Unknown fields, fields given twice, data after the object, a
// body nested deeper than Config.MaxJSONDepth and a body larger than
// Config.MaxBodyBytes are refused. The task is stored through
// Config.Enqueuer, which is where an application analyses and redacts the
// description; responses carry what the enqueuer stored.
//
// Responses render JSON compactly, so params come back with the same
// members and numbers but without the caller's white space.
//
// # Listing
//
// GET {prefix}/tasks takes status (repeatable or comma-separated), type,
// domain, created_after and created_before (RFC 3339), limit (default 50,
// at most 1000) and cursor (a next_cursor from the previous page). total
// counts every match across pages. Unknown parameters are refused.
//
// # Events
//
// GET {prefix}/tasks/{id}/events sends "event: status" with the task as
// JSON data and an increasing "id:", first for the current state and then
// once per status change, and ends after a terminal status. With
// Config.Notifier it re-reads the task when a notification concerns it;
// without one it polls every Config.PollInterval. An idle stream sends a
// comment line every [KeepAliveInterval]. The stream runs in the request's
// goroutine and ends when the client goes away.
//
// # Errors
//
// Every error is JSON, {"error": {"code": "...", "message": "..."}} (see
// [ErrorBody]), with the status of its code (the Code constants). Messages
// name the offending field, never a task's description or params; internal
// errors are logged with the request id and answered with a generic
// message. A store that cannot be reached (an error wrapping
// store.ErrUnavailable, store.ErrClosed or a deadline) is answered 503
// unavailable; every 503 carries "Retry-After" ([RetryAfter]). Every
// response carries X-Request-ID: the client's own when it is 1 to 64
// characters of A-Z, a-z, 0-9, ".", "_" and "-", a new random one
// otherwise (so no other client text reaches the logs).
//
// # Authorization
//
// Config.Authorize, when set, guards every route except GET /health,
// which always answers so a liveness probe needs no credentials. GET
// /readyz is guarded like the task routes. Unknown paths and wrong
// methods are checked too, so an unauthorized client learns nothing of
// the routes. [BearerToken] checks "Authorization: Bearer <token>", the
// scheme in any case. [API.Guard] puts the same checks and error bodies in
// front of a handler of the host's own, such as /metrics.
package httpapi
