package httpapi

import "time"

// SetKeepAlive changes the keep-alive interval of a's event streams, so a
// test need not wait KeepAliveInterval.
func SetKeepAlive(a *API, d time.Duration) { a.keepAlive = d }
