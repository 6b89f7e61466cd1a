package store

import "bytes"

// EventsTruncated reports whether events, the analysis stored with a task
// (Task.Events), records that the description was cut: a top-level
// "truncated" member that is true. Both stores set
// Task.DescriptionTruncated with it. Any quote inside a JSON string is
// escaped, so the member name cannot be matched inside a string value.
func EventsTruncated(events []byte) bool {
	const name = `"truncated"`
	for len(events) > 0 {
		i := bytes.Index(events, []byte(name))
		if i < 0 {
			return false
		}
		rest := bytes.TrimLeft(events[i+len(name):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			if bytes.HasPrefix(bytes.TrimLeft(rest[1:], " \t\r\n"), []byte("true")) {
				return true
			}
		}
		events = events[i+len(name):]
	}
	return false
}
