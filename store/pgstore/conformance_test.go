package pgstore_test

import (
	"testing"

	"github.com/seedcore/seedcore/store/pgstore"
	"github.com/seedcore/seedcore/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		return setup(t, pgstore.Options{}).store
	})
}
