package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// params sizes the workloads.
type params struct {
	Tasks      int           // W1 tasks
	Batch      int           // W1 bulk insert batch
	Rate       int           // W2 inserts per second
	Latency    time.Duration // W2 duration
	Producers  int           // W3 and W4 concurrent producers
	Mixed      time.Duration // W3 duration
	HTTP       time.Duration // W4 duration per variant
	Timeout    time.Duration // bound on any wait for completion
	RiverConns int32         // River pgx pool size (0: pgx default)
	Procs      int           // worker processes of the multi-process runs
	DSN        string        // the run's database, set by runOne
	Verbose    bool          // children log the systems' warnings to stderr
}

// result is one run's figures, by name.
type result map[string]float64

// waitCompleted waits until s records want completed tasks, polling every
// poll, or until timeout; it returns when that happened.
func waitCompleted(ctx context.Context, s system, want int, poll, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		n, err := s.Completed(ctx)
		if err != nil {
			return time.Time{}, err
		}
		if n >= want {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d completed after %s", n, want, timeout)
		}
		time.Sleep(poll)
	}
}

// waitStarted waits until p has counted want handler starts.
func waitStarted(p *probe, want int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for p.n.Load() < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d handlers started after %s", p.n.Load(), want, timeout)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// burnDown is W1: bulk insert, then start the workers and time until the
// store records every task completed.
func burnDown(ctx context.Context, s system, p *probe, pr params) (result, error) {
	start := time.Now()
	if err := s.InsertMany(ctx, pr.Tasks, pr.Batch); err != nil {
		return nil, err
	}
	insert := time.Since(start)
	start = time.Now()
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	// The database is only polled once every handler has started, so the
	// polling does not compete with the workers.
	if err := waitStarted(p, int64(pr.Tasks), pr.Timeout); err != nil {
		return nil, err
	}
	end, err := waitCompleted(ctx, s, pr.Tasks, time.Millisecond, pr.Timeout)
	if err != nil {
		return nil, err
	}
	return result{
		"insert/s": float64(pr.Tasks) / insert.Seconds(),
		"worked/s": float64(pr.Tasks) / end.Sub(start).Seconds(),
	}, nil
}

// pickup is W2: single inserts at a steady rate with the workers running;
// latency from each insert's commit to its handler's start. The inserts
// are an open loop: each tick starts one, whether or not the ones before
// have returned, as independent clients would.
func pickup(ctx context.Context, s system, p *probe, pr params) (result, error) {
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond) // listeners connected, first fetches done
	p.track.Store(true)
	n := int(pr.Latency.Seconds() * float64(pr.Rate))
	tick := time.NewTicker(time.Second / time.Duration(pr.Rate))
	defer tick.Stop()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range n {
		<-tick.C
		wg.Go(func() {
			called := time.Now()
			key, err := s.Insert(ctx)
			if err != nil {
				mu.Lock()
				first = cmpErr(first, err)
				mu.Unlock()
				return
			}
			p.inserted(key, called, time.Now())
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	deadline := time.Now().Add(pr.Timeout)
	for p.measured() < n {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d pickups seen after %s", p.measured(), n, pr.Timeout)
		}
		time.Sleep(time.Millisecond)
	}
	lat, fromCall := p.latencies()
	ms := func(lat []time.Duration, q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000
	}
	return result{"p50 ms": ms(lat, 0.50), "p90 ms": ms(lat, 0.90), "p99 ms": ms(lat, 0.99), "max ms": ms(lat, 1),
		"early":            float64(p.earlyCount()),
		"from call p50 ms": ms(fromCall, 0.50), "from call p99 ms": ms(fromCall, 0.99)}, nil
}

// produce runs pr.Producers goroutines calling insert until d passes and
// returns how many calls succeeded, the elapsed time and the per-call
// latencies (sorted).
func produce(ctx context.Context, producers int, d time.Duration, insert func(context.Context) error) (int, time.Duration, []time.Duration, error) {
	var (
		count atomic.Int64
		mu    sync.Mutex
		lat   []time.Duration
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	stop := start.Add(d)
	for range producers {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(stop) {
				t := time.Now()
				if err := insert(ctx); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
				count.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return int(count.Load()), elapsed, lat, first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// mixed is W3: producers insert single tasks as fast as they can while the
// workers run; completions counted by the store at the end of the window.
func mixed(ctx context.Context, s system, _ *probe, pr params) (result, error) {
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond)
	inserted, elapsed, _, err := produce(ctx, pr.Producers, pr.Mixed, func(ctx context.Context) error {
		_, err := s.Insert(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	done, err := s.Completed(ctx)
	if err != nil {
		return nil, err
	}
	return result{
		"inserted/s":  float64(inserted) / elapsed.Seconds(),
		"completed/s": float64(done) / elapsed.Seconds(),
		"backlog":     float64(inserted - done),
	}, nil
}

// httpPath is W4: the same producers as W3 through POST /api/v1/tasks of
// the App's handler on a real server on 127.0.0.1, or, with viaHTTP false,
// through App.Enqueue. It reports calls/s, the p99 of one call and the
// completed/s within the window.
func httpPath(ctx context.Context, s *seedcoreSystem, pr params, viaHTTP bool) (result, error) {
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	insert := func(ctx context.Context) error {
		_, err := s.Insert(ctx)
		return err
	}
	if viaHTTP {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
		srv := &http.Server{Handler: s.app.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		tr := &http.Transport{MaxIdleConnsPerHost: pr.Producers}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		url := "http://" + ln.Addr().String() + "/api/v1/tasks"
		body := []byte(`{"type":"noop"}`)
		insert = func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("post: %w", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return fmt.Errorf("post: status %d", resp.StatusCode)
			}
			return nil
		}
	}
	time.Sleep(200 * time.Millisecond)
	n, elapsed, lat, err := produce(ctx, pr.Producers, pr.HTTP, insert)
	if err != nil {
		return nil, err
	}
	if len(lat) == 0 {
		return nil, errors.New("no call completed")
	}
	done, err := s.Completed(ctx)
	if err != nil {
		return nil, err
	}
	return result{
		"calls/s":     float64(n) / elapsed.Seconds(),
		"p99 ms":      float64(lat[int(0.99*float64(len(lat)-1))].Microseconds()) / 1000,
		"completed/s": float64(done) / elapsed.Seconds(),
	}, nil
}
