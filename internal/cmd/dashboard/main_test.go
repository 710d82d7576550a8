package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two seconds of the workload print a line per panel, provider and second.
func TestRunPrintsEveryPanel(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(context.Background(), 2, &out))
	text := out.String()
	for _, want := range []string{
		"BenchmarkDashboardMints/t=1/provider=cartevo 1 1 mints/s",
		"BenchmarkDashboardMints/t=1/provider=altpay 1 3 mints/s", // the access token and two checkout tokens
		"BenchmarkDashboardMints/t=2/provider=crovver",
		"BenchmarkDashboardFailures/t=1/provider=altpay 1 0 failures/s",
		"BenchmarkDashboardP99/t=1/provider=cartevo",
	} {
		assert.Contains(t, text, want)
	}
}

func TestP99Interpolates(t *testing.T) {
	bounds := []float64{0.01, 0.1, 1}
	old := sample{bounds: bounds, buckets: []uint64{0, 0, 0, 0}}
	cur := sample{bounds: bounds, buckets: []uint64{0, 100, 0, 0}}
	q, ok := p99(cur, old)
	require.True(t, ok)
	assert.InDelta(t, 0.0991, q, 0.0001, "99 of 100 observations into the 10–100 ms bucket")
	_, ok = p99(old, old)
	assert.False(t, ok, "no observation, no quantile")
}
