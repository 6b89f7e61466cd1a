package supervisor

import "errors"

// Sentinel errors, returned wrapped; test for them with [errors.Is].
var (
	// ErrInvalidConfig is returned by [New] for a [Config] field with an
	// invalid value; the message names the field.
	ErrInvalidConfig = errors.New("supervisor: invalid config")

	// ErrInvalidArgument is returned by [Supervisor.Add] and
	// [Supervisor.AddCheck] for an empty name, a nil service or a nil
	// check function.
	ErrInvalidArgument = errors.New("supervisor: invalid argument")

	// ErrDuplicateName is returned by [Supervisor.Add] and
	// [Supervisor.AddCheck] when the name is already used by a service or
	// a check of the same supervisor.
	ErrDuplicateName = errors.New("supervisor: duplicate name")

	// ErrNotReady is wrapped by the error of [Supervisor.Check] when the
	// supervisor is not ready. The error's message names every reason:
	// the supervisor not running or in backoff, each required service
	// that is not running or reports not ready, and each failing check
	// (whose own error is wrapped too).
	ErrNotReady = errors.New("supervisor: not ready")

	// ErrStopTimeout is wrapped by the error [Supervisor.Serve] returns
	// when some services were still running StopTimeout after their
	// context was cancelled; the message names them, and
	// [Supervisor.Unstopped] lists them.
	ErrStopTimeout = errors.New("supervisor: services did not stop in time")

	// ErrAlreadyRunning is returned by [Supervisor.Serve] and
	// [Supervisor.ServeBackground] when the supervisor is already being
	// served. The error also wraps suture.ErrDoNotRestart, so a parent
	// suture tree does not keep retrying.
	ErrAlreadyRunning = errors.New("supervisor: already running")
)
