package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// metricCount sums, over the app's metric family name, the counter values
// or histogram sample counts of the series that carry every label given.
func metricCount(t *testing.T, app *App, name string, labels map[string]string) uint64 {
	t.Helper()
	families, err := app.registry.Gather()
	require.NoError(t, err)
	var n uint64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue series
				}
			}
			switch {
			case m.GetHistogram() != nil:
				n += m.GetHistogram().GetSampleCount()
			case m.GetCounter() != nil:
				n += uint64(m.GetCounter().GetValue())
			case m.GetGauge() != nil:
				n += uint64(m.GetGauge().GetValue())
			}
		}
	}
	return n
}
