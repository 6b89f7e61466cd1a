// Package dashboard is the operator dashboard of a task queue: HTML pages,
// rendered on the server over any [store.Store], to look at the queue
// rather than query it.
//
// # Pages
//
// Under a prefix (default "/ui"), [Dashboard.Handler] serves an overview
// (counts by status, a chart of throughput and run time over the last ten
// minutes, the latest tasks), the task list with filters by status, type
// and domain and cursor paging, and one page per task with its redacted
// description, the eventizer's tags, attempts, error, result and
// timestamps. Buttons cancel a task, release a created one, retry a failed
// or cancelled one (back in the queue with a fresh attempt budget) and
// delete a finished one. A list filtered by one status offers "Retry all
// n" (failed, cancelled) and "Delete all n" (any finished status): the
// form carries the filter and the n the page showed, and the store changes
// the tasks only when the filter still selects exactly n (otherwise the
// answer is 409 and nothing changes).
//
// Pages are built with html/template, so every value is escaped. Only
// stored fields are shown: the description as the store holds it (the
// application redacts it before storing), the eventizer's tags and the
// kinds of personal data it removed (never their place or value), the
// result and the error. A task's params are not redacted by the eventizer,
// so they are never shown, only their size.
//
// # Live refresh
//
// The one embedded script fetches the live part of the page again every
// Config.RefreshInterval (default 3s), with the [FragmentHeader] request
// header, and swaps it in when it changed. With a Config.Notifier and
// [Dashboard.Serve] running, a refresh while nothing changed is answered
// 304 without reading the store.
//
// # The chart
//
// The dashboard keeps ChartSamples samples of SampleInterval (10s) in a
// ring buffer in memory. Two feeds fill it:
//
//   - [Dashboard.Finished] (with [Dashboard.Claimed], the methods of
//     taskqueue.Observer): give the dashboard to the worker pool as its
//     observer, and the chart shows completions per minute and the mean
//     run time of attempts, exactly, for the workers of this process.
//   - Counts reads: [Dashboard.Serve] reads store.Store.Counts every
//     SampleInterval, and every overview page view reads it too. Without
//     the observer feed, throughput is the rise of the completed count
//     between samples: it covers every process sharing the store, but the
//     retention cleaner's deletions can hide completions, and there is no
//     run time.
//
// # Security
//
// Every request goes through Config.Authorize first, with the meaning of
// the task API's hook: nil lets it through, an error wrapping
// httpapi.ErrUnauthorized answers 401, any other error 403.
//
// The action forms (cancel, run, retry, delete, and the bulk ones) are POSTs protected against cross-site request
// forgery twice: the browser's Sec-Fetch-Site and Origin headers must not
// name another site (net/http's CrossOriginProtection), and the form must
// carry the token of the session: an HMAC-SHA256, under Config.CSRFKey,
// of a random session cookie (HttpOnly, SameSite=Strict) set on the
// first page view. A missing or wrong token is answered 403.
//
// Every answer carries a Content-Security-Policy that allows scripts,
// styles and fetches from the dashboard's own origin only (no inline
// script or style), X-Frame-Options: DENY, Referrer-Policy: same-origin
// and X-Content-Type-Options: nosniff. The CSS and the script are embedded
// in the binary: no build step, nothing fetched from elsewhere.
//
// # Mounting
//
// A seedcore App builds and mounts the dashboard itself: set
// seedcore.Config.Dashboard, and App.Mount (or App.Handler) serves it
// under {BasePath}{DashboardPrefix}. A dashboard built with [New] on its
// own is mounted at "{prefix}/" and "{prefix}", without stripping the
// prefix (its pages link to paths under it):
//
//	mux.Handle(d.Prefix()+"/", d.Handler())
//	mux.Handle(d.Prefix(), d.Handler())
package dashboard
