package supervisor

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Ready reports whether [Supervisor.Check] passes: the supervisor is
// serving and not in backoff, every [Required] service runs (and reports
// ready when it implements [Readier]), and every check added with
// [Supervisor.AddCheck] returns nil within Config.CheckTimeout.
func (s *Supervisor) Ready() bool {
	return s.Check(context.Background()) == nil
}

// Check is the readiness check. It returns nil when the supervisor is ready
// (see [Supervisor.Ready]); otherwise an error wrapping [ErrNotReady], and
// the errors of the failing checks, whose message names every reason: the
// supervisor not serving or in backoff, each required service that is not
// running (for example waiting to be restarted) or reports not ready, and
// each failing check. Checks run one after the other, each bounded by
// Config.CheckTimeout and by ctx.
func (s *Supervisor) Check(ctx context.Context) error {
	s.mu.Lock()
	r := s.run
	running := s.running
	checks := slices.Clone(s.checks)
	var services []*runService
	if r != nil && running {
		services = slices.Clone(r.services)
	}
	s.mu.Unlock()

	var (
		problems []error
		reasons  []string
	)
	switch {
	case !running:
		problems = append(problems, fmt.Errorf("supervisor %q is not running", s.cfg.Name))
	case r.ctx.Err() != nil:
		problems = append(problems, fmt.Errorf("supervisor %q is stopping", s.cfg.Name))
	case r.paused.Load():
		problems = append(problems, fmt.Errorf("supervisor %q is in backoff", s.cfg.Name))
	}
	for _, rs := range services {
		if !rs.e.required {
			continue
		}
		if st := rs.State(); st != StateRunning {
			problems = append(problems, fmt.Errorf("service %q is %s", rs.e.name, st))
			continue
		}
		if rd, ok := rs.e.svc.(Readier); ok && !rd.Ready() {
			problems = append(problems, fmt.Errorf("service %q reports not ready", rs.e.name))
		}
	}
	for _, p := range problems {
		reasons = append(reasons, p.Error())
	}
	for _, c := range checks {
		if err := s.runCheck(ctx, c); err != nil {
			problems = append(problems, fmt.Errorf("check %q: %w", c.name, err))
			reasons = append(reasons, fmt.Sprintf("check %q failed", c.name))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &notReadyError{problems: problems, reasons: reasons}
}

func (s *Supervisor) runCheck(ctx context.Context, c check) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
	defer cancel()
	return c.fn(ctx)
}

// notReadyError lists why the supervisor is not ready. It matches
// ErrNotReady and every wrapped check error under errors.Is.
type notReadyError struct {
	problems []error
	reasons  []string // the problems without the checks' error text
}

// Reasons lists why the supervisor is not ready: names and states only,
// never a check's error text.
func (e *notReadyError) Reasons() []string { return slices.Clone(e.reasons) }

func (e *notReadyError) Error() string {
	parts := make([]string, len(e.problems))
	for i, p := range e.problems {
		parts[i] = p.Error()
	}
	return ErrNotReady.Error() + ": " + strings.Join(parts, "; ")
}

func (e *notReadyError) Unwrap() []error {
	return append([]error{ErrNotReady}, e.problems...)
}
