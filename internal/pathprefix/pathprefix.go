// Package pathprefix validates the URL path prefixes under which the
// module's HTTP handlers are mounted.
package pathprefix

import (
	"errors"
	"strings"
)

// Check returns why p is not a usable path prefix, or nil. A usable prefix
// starts with "/", does not end with "/", and has non-empty segments other
// than "." and ".." made of letters, digits and -_.~ only.
func Check(p string) error {
	if !strings.HasPrefix(p, "/") || p == "/" || strings.HasSuffix(p, "/") {
		return errors.New(`must start with "/" and not end with "/"`)
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("has an empty, . or .. segment")
		}
		for _, c := range seg {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '-' || c == '_' || c == '.' || c == '~'
			if !ok {
				return errors.New("holds a character outside letters, digits and -_.~")
			}
		}
	}
	return nil
}
