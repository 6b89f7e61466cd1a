package chaos

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/seedcore/seedcore/internal/pgtest"
)

var (
	longMode   = flag.Bool("chaos.long", false, "run TestChaos in long mode (20,000 tasks, 4 workers, 2 minutes of faults)")
	reportPath = flag.String("chaos.report", "", "file the long mode writes its report to (default: none)")
	keepLogs   = flag.Bool("chaos.keep", false, "keep the worker binary and logs directory (printed) after the run")
	noMember   = flag.Bool("chaos.nomember", false, "run TestChaos's workers without membership (-member=false): every worker sweeps expired leases, none returns a killed worker's tasks before its lease expires")
)

// buildDir holds the worker binary, built once per test binary run.
var buildDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "chaos-worker-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos: temp dir:", err)
		os.Exit(1)
	}
	buildDir = dir
	goleak.VerifyTestMain(m,
		// lib/pq's Listener may still be tearing down its connection
		// goroutine right after Close returns (TestPoison runs one).
		goleak.IgnoreTopFunction("github.com/lib/pq.(*ListenerConn).listenerConnLoop"),
		goleak.Cleanup(func(code int) {
			if *keepLogs {
				fmt.Fprintln(os.Stderr, "chaos: worker binary kept in", dir)
			} else {
				_ = os.RemoveAll(dir)
			}
			// goleak leaves exiting to a Cleanup function; without this
			// a leak found after passing tests would exit 0.
			pgtest.Exit(code)
		}),
	)
}

var (
	buildOnce sync.Once
	workerBin string
	buildErr  error
)

// worker returns the path of the worker binary, building it on first use.
// It is built without -race, even when the tests run with it: the workers
// are the load, and the race detector would slow them several times over.
func worker(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		bin := filepath.Join(buildDir, "worker")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/seedcore/seedcore/internal/chaos/worker")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build worker: %w\n%s", err, out)
			return
		}
		workerBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return workerBin
}
