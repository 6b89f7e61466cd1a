package chaos

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// The event kinds a worker writes to its [Log].
const (
	// EvBegin: the process started (N is its pid, Err its clock offset).
	EvBegin = "begin"
	// EvClaimCall: a claim for up to N tasks is about to be sent.
	EvClaimCall = "claim_call"
	// EvClaim: the claim returned task ID at attempt A.
	EvClaim = "claim"
	// EvClaimRet: the claim returned N tasks (all logged above).
	EvClaimRet = "claim_ret"
	// EvClaimErr: the claim failed with Err; it may have committed.
	EvClaimErr = "claim_err"
	// EvStart: the dispatcher began attempt A of task ID.
	EvStart = "start"
	// EvDone: the dispatcher ended attempt A of task ID; K says how: ok,
	// error, or the context's cause (lease_lost, stopping, timeout).
	EvDone = "done"
	// EvFinish: outcome K of attempt A of task ID was written; R is
	// "applied" or "rejected" (store.ErrLeaseLost).
	EvFinish = "finish"
	// EvFinishErr: the write of outcome K of attempt A of task ID failed as
	// a whole with Err (it may have committed); the pool retries it.
	EvFinishErr = "finish_err"
	// EvHeartbeatErr: a heartbeat failed with Err.
	EvHeartbeatErr = "hb_err"
	// EvRescue: the worker's rescuer moved task ID to status K.
	EvRescue = "rescue"
	// EvLeader: the worker became the leader (K "gained") or stopped
	// being it (K "lost").
	EvLeader = "leader"
	// EvSignal: the process received signal Err.
	EvSignal = "signal"
	// EvExit: the process is about to exit with code N.
	EvExit = "exit"
)

// Finish results in [Record].R.
const (
	// Applied says the outcome was recorded.
	Applied = "applied"
	// Rejected says the outcome was refused with store.ErrLeaseLost.
	Rejected = "rejected"
)

// Record is one line of a worker's event log.
type Record struct {
	// T is the host's real time in Unix nanoseconds when the event was
	// logged (not the worker's offset clock).
	T int64 `json:"t"`
	// Ev is the event kind, one of the Ev constants.
	Ev string `json:"ev"`
	// Worker names the worker that logged the event.
	Worker string `json:"w"`
	// ID is the task ID, when the event concerns a task.
	ID string `json:"id,omitempty"`
	// A is the task's attempt number, when the event concerns a task.
	A int `json:"a,omitempty"`
	// K is an outcome kind or a status.
	K string `json:"k,omitempty"`
	// R is a finish result: Applied or Rejected.
	R string `json:"r,omitempty"`
	// N is a count (claim limit, tasks claimed, pid, exit code).
	N int `json:"n,omitempty"`
	// Err is an error text or other detail.
	Err string `json:"err,omitempty"`
}

// Time returns r.T as a time.
func (r Record) Time() time.Time { return time.Unix(0, r.T) }

// Log is an append-only event log file. Every record is written with one
// unbuffered write(2) to a file opened with O_APPEND, so a record that
// Write returned for is in the file even when the process is killed with
// SIGKILL the next instant. It is safe for concurrent use.
type Log struct {
	worker string
	mu     sync.Mutex
	f      *os.File
	err    error
}

// OpenLog opens (creating it if needed) the log at path for worker.
func OpenLog(path, worker string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("chaos: open log: %w", err)
	}
	return &Log{worker: worker, f: f}, nil
}

// Write stamps r with the time and the worker's name and appends it. The
// first write error is kept and returned by [Log.Close]; a worker that
// cannot log is useless to the harness, which will see the gap.
func (l *Log) Write(r Record) {
	r.T = time.Now().UnixNano()
	r.Worker = l.worker
	b, err := json.Marshal(r)
	if err == nil {
		b = append(b, '\n')
		_, err = l.f.Write(b)
	}
	if err != nil {
		l.mu.Lock()
		if l.err == nil {
			l.err = err
		}
		l.mu.Unlock()
	}
}

// Close closes the file and returns the first error met while writing.
func (l *Log) Close() error {
	err := l.f.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.err, err)
}

// ReadLog reads every record of the log at path. A last line cut short
// (which an append-only log written this way should never hold) is
// counted in torn rather than failing the read.
func ReadLog(path string) (recs []Record, torn int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("chaos: read log: %w", err)
	}
	defer f.Close()
	return readRecords(f)
}

func readRecords(r io.Reader) (recs []Record, torn int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			torn++
			continue
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		return recs, torn, fmt.Errorf("chaos: read log: %w", err)
	}
	return recs, torn, nil
}
