package seedcore

import (
	"context"
	"log/slog"
	"time"

	"github.com/seedcore/seedcore/eventizer"
	"github.com/seedcore/seedcore/store"
)

const (
	enrichQueue   = 1024
	enrichTimeout = 30 * time.Second
)

type enrichJob struct {
	id  string
	res eventizer.Result
}

// enrichment is the supervised service that runs remote enrichment for
// the tasks whose analysis advises it, after they are stored, and stores
// the result on the task. It only ever sends redacted text. A failure is
// logged and never fails the task; when its queue is full a task goes
// without enrichment.
type enrichment struct {
	enricher eventizer.Enricher
	store    store.EnrichmentWriter
	log      *slog.Logger
	jobs     chan enrichJob
}

func newEnrichment(e eventizer.Enricher, s store.EnrichmentWriter, log *slog.Logger) *enrichment {
	return &enrichment{enricher: e, store: s, log: log, jobs: make(chan enrichJob, enrichQueue)}
}

func (e *enrichment) String() string { return "seedcore.enrichment" }

func (e *enrichment) submit(id string, res eventizer.Result) {
	select {
	case e.jobs <- enrichJob{id: id, res: res}:
	default:
		e.log.Warn("enrichment queue full; task not enriched", slog.String("task_id", id))
	}
}

// Serve enriches queued tasks until ctx ends.
func (e *enrichment) Serve(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case j := <-e.jobs:
			e.run(ctx, j)
		}
	}
}

func (e *enrichment) run(ctx context.Context, j enrichJob) {
	ctx, cancel := context.WithTimeout(ctx, enrichTimeout)
	defer cancel()
	out, err := e.enricher.Enrich(ctx, j.res.RedactedText, j.res)
	if err != nil {
		e.log.Warn("enrichment failed", slog.String("task_id", j.id), slog.String("error", err.Error()))
		return
	}
	if err := e.store.SetEnrichment(ctx, j.id, out); err != nil {
		e.log.Warn("storing enrichment failed", slog.String("task_id", j.id), slog.String("error", err.Error()))
	}
}
