//go:build !unix

package eventizer

import "time"

func processCPU() time.Duration { return 0 }
