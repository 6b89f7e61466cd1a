// Package browsertest drives the operator dashboard in headless Chromium
// against a real App (TestBrowser), and takes the README's screenshot.
//
// It is a module of its own so that the browser driver (chromedp) is a
// requirement of this test alone, never of the library's importers. Run it
// from this directory:
//
//	go test -count=1 ./...                                   # skips without /usr/bin/chromium
//	go test -count=1 ./... -dashboard.screenshot=$PWD/../../../docs/dashboard.png
package browsertest
