// Package otelseed traces and measures seedcore's task attempts with
// OpenTelemetry. It is a module of its own, so that programs which use
// seedcore without OpenTelemetry do not get it in their module graph.
//
// A [Tracer] is a taskqueue.Tracer: give it to seedcore.Config.Tracer.
// Then the trace context of the code that enqueues a task (App.Enqueue's
// ctx, or the traceparent header of an API request) is stored with the
// task, and every attempt of the task runs under a span of its own whose
// parent is that context, in whichever process and however much later the
// attempt runs. The dispatcher's ctx carries the span, so its own spans
// and outgoing requests join the trace; a taskqueue.RemoteDispatcher given
// the Tracer as RemoteConfig.Propagator sends it to the executor in the
// request headers.
//
// Each attempt span is named "seedcore.attempt" (names hold no task text
// and no ids) and has the kind consumer and these attributes:
//
//   - seedcore.task.type: the task's type
//   - seedcore.task.queue: the task's queue
//   - seedcore.task.id: the task's ID
//   - seedcore.task.attempt: the attempt's number, from 1
//   - seedcore.task.outcome: complete, retry, fail, cancel, release or
//     snooze
//   - messaging.system: "seedcore"
//
// An attempt that is retried or fails, panics, or loses its lease ends
// with the status Error, described by its outcome; the error's text is
// never recorded (it may hold what redaction removes only later).
//
// The meter records:
//
//   - seedcore.attempts (counter, {attempt}): attempts ended, by
//     seedcore.task.type and seedcore.task.outcome
//   - seedcore.attempt.duration (histogram, s): how long the dispatcher
//     ran, by the same attributes
//   - seedcore.attempts.active (up-down counter, {attempt}): attempts
//     running, by seedcore.task.type
//
// A task type is a metric attribute only when [Config.Types] handles it
// (a *taskqueue.Mux does); others count as "other", so a client's type
// never grows the number of series.
package otelseed
