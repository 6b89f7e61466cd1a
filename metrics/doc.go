// Package metrics exports seedcore's Prometheus metrics: what the workers
// claim and finish, how dispatchers fail, how supervised services restart,
// what the eventizer finds, and how deep the queue is.
//
// # Use
//
// [New] registers every metric on the registerer it is given (never on the
// global registry unless that is what it is given). The [Metrics] it
// returns is then handed to the parts it observes:
//
//	m, err := metrics.New(reg, metrics.Options{})
//	pool := taskqueue.PoolConfig{Observer: m, Dispatcher: m.Dispatcher(d), ...}
//	rescuer := taskqueue.RescuerConfig{OnRescue: m.Rescued, ...}
//	supervisorCfg.OnEvent = m.SupervisorEvent
//	m.TrackStore(st)       // queue depth, read at scrape time
//	m.Created(task)        // after a create that stored a new task
//	m.Analyzed(result)     // after each eventizer analysis
//	m.ParamsAnalyzed(pr)   // after each redaction of params
//
// Serve them with promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).
//
// # Metrics
//
// Every name starts with seedcore_. Counters:
//
//	tasks_created_total{type}            tasks created
//	tasks_claimed_total{type}            attempts started
//	tasks_completed_total{type}          attempts that completed the task
//	tasks_failed_total{type}             attempts that failed the task for good
//	tasks_retried_total{type}            attempts that scheduled a retry
//	tasks_cancelled_total{type}          attempts that ended the task cancelled
//	tasks_released_total{type,reason}    attempts given back (stopping, lease_lost)
//	tasks_rescued_total                  expired leases moved on by the rescuer
//	dispatcher_errors_total{class}       permanent, retry, timeout, panic, cancelled, lease_lost
//	supervisor_restarts_total{service,reason}  service failures (error, panic)
//	supervisor_backoffs_total{supervisor}      restart pauses
//	eventizer_analyses_total             descriptions analysed
//	eventizer_findings_total{kind}       PII and secrets found in descriptions and params, by kind
//
// Histograms:
//
//	task_attempt_duration_seconds{type}  how long the dispatcher ran
//	task_start_latency_seconds{type}     due time (run_after or creation) to claim, on the store's clock
//	eventizer_analysis_duration_seconds  eventizer processing time
//
// Gauges, read from the tracked store at each scrape:
//
//	tasks{status}                        tasks in the store by status
//	store_up                             1 when that read succeeded
//	queue_tasks{queue,status}            tasks of each declared queue by status (a store.QueueManager)
//	queue_paused{queue}                  1 while the declared queue is paused
//	queue_ready_unhandled{queue}         ready tasks of types this process's dispatcher does not run
//
// A task created and cancelled before any claim is counted by tasks{status}
// only: the counters above count what workers do.
//
// # Cardinality
//
// Label values are bounded and never a client's text. A task type is a
// label only when it is declared: handled by the taskqueue.TypedDispatcher
// given to [Metrics.Dispatcher] (a taskqueue.Mux declares its registered
// types) or listed in [Options.Types]; every other type counts as "other",
// so made-up types can neither appear nor crowd out real ones. Declared
// types and service names are capped by [Options.MaxLabelValues] (100 by
// default; later ones, and values that are not valid UTF-8, count as
// "other"), and status, kind, class and reason come from fixed sets. A
// queue is a label only when declared ([Options.Queues],
// [Metrics.DeclareQueues]; a seedcore App declares the queues its workers
// serve), every other queue counting as "other". No
// label ever holds a task id or any text.
package metrics
