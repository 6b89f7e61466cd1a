package seedcore

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/seedcore/seedcore/internal/pathprefix"
	"github.com/seedcore/seedcore/taskqueue/dashboard"
	"github.com/seedcore/seedcore/taskqueue/httpapi"
)

// checkPaths validates the path settings of c, each on its own, before
// they are joined.
func (c Config) checkPaths() error {
	for _, p := range []struct{ name, value string }{
		{"BasePath", c.BasePath}, {"APIPrefix", c.APIPrefix}, {"DashboardPrefix", c.DashboardPrefix},
	} {
		if p.value == "" {
			continue
		}
		if err := pathprefix.Check(p.value); err != nil {
			return fmt.Errorf("%w: %s %q %s", ErrInvalidConfig, p.name, p.value, err)
		}
	}
	return nil
}

// apiPrefix is the full path of the task routes: BasePath + APIPrefix.
func (c Config) apiPrefix() string {
	if c.APIPrefix == "" {
		return c.BasePath + httpapi.DefaultPrefix
	}
	return c.BasePath + c.APIPrefix
}

// dashboardPrefix is the full path of the dashboard: BasePath +
// DashboardPrefix.
func (c Config) dashboardPrefix() string {
	if c.DashboardPrefix == "" {
		return c.BasePath + dashboard.DefaultPrefix
	}
	return c.BasePath + c.DashboardPrefix
}

// buildHandler builds the App's handler: every route under BasePath.
func (a *App) buildHandler() error {
	base := a.cfg.BasePath
	api := a.api.Handler()
	if a.cfg.Tracer != nil {
		api = traceRequests(a.cfg.Tracer, api)
	}
	mux := http.NewServeMux()
	// The API serves the probes at its root: under BasePath they are
	// handed to it without the base.
	if base != "" {
		for _, probe := range []string{"/health", "/readyz"} {
			mux.Handle(base+probe, http.StripPrefix(base, api))
		}
	}
	mux.Handle("/", api) // the task routes (their prefix holds BasePath) and JSON 404s
	if a.dash != nil {
		p, ap := a.dash.Prefix(), a.api.Prefix()
		if p == ap || strings.HasPrefix(p+"/", ap+"/") || strings.HasPrefix(ap+"/", p+"/") {
			return fmt.Errorf("%w: DashboardPrefix %q overlaps the API prefix %q", ErrInvalidConfig, p, ap)
		}
		mux.Handle(p+"/", a.dash.Handler())
		mux.Handle(p, a.dash.Handler())
	}
	a.handler = mux
	return nil
}

// patterns are the net/http patterns of everything the App serves.
func (a *App) patterns() []string {
	base := a.cfg.BasePath
	ps := []string{base + "/health", base + "/readyz", a.api.Prefix() + "/"}
	if a.dash != nil {
		ps = append(ps, a.dash.Prefix()+"/", a.dash.Prefix())
	}
	return ps
}

// Mount registers everything the App serves in mux, under
// Config.BasePath: GET {base}/health, GET {base}/readyz, the task API
// under {base}{APIPrefix}/ and, with Config.Dashboard, the dashboard under
// {base}{DashboardPrefix}/. It registers exactly those paths, so the
// host's other routes, including its own "/" and 404 page, stay its own.
// Like http.ServeMux.Handle, it panics when one of them is already
// registered (a host with its own /health sets a BasePath).
//
// It is the documented way to embed the App's HTTP side:
//
//	app, _ := seedcore.New(ctx, seedcore.Config{Dispatcher: d, BasePath: "/tasks", Dashboard: true})
//	app.Mount(mux) // /tasks/health, /tasks/readyz, /tasks/api/v1/..., /tasks/ui/
func (a *App) Mount(mux *http.ServeMux) {
	for _, p := range a.patterns() {
		mux.Handle(p, a.handler)
	}
}
