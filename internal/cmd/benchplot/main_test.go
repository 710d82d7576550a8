package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseGroupsBySeriesAndSize(t *testing.T) {
	in := `goos: linux
BenchmarkScaleGet/cache/keys=1000-2   	100	20 ns/op	0 B/op
BenchmarkScaleGet/cache/keys=1000-2   	100	30 ns/op	0 B/op
BenchmarkScaleGet/cache/keys=1000-2   	100	25 ns/op	0 B/op
BenchmarkScaleGet/cache/keys=10000-2  	100	40 ns/op
BenchmarkScaleGet/syncmap/keys=1000-2 	100	10 ns/op
BenchmarkOther-2                      	100	1 ns/op
BenchmarkScaleHerd/callers=100-2      	1	5 ms/op
BenchmarkScaleGet/keys=1000/impl=mid-2	100	7 ns/op
`
	s, err := parse(strings.NewReader(in), regexp.MustCompile("ScaleGet"), "ns/op")
	require.NoError(t, err)
	require.Len(t, s, 3)
	assert.Equal(t, "ScaleGet/impl=mid", s[2].Name, "the size may sit anywhere in the name")
	assert.Equal(t, "ScaleGet/cache", s[0].Name)
	require.Len(t, s[0].Points, 2)
	assert.Equal(t, 1000.0, s[0].Points[0].x)
	assert.Equal(t, 25.0, median(s[0].Points[0].runs), "the median of the runs")
	assert.Equal(t, 10000.0, s[0].Points[1].x)

	_, err = parse(strings.NewReader(in), regexp.MustCompile("Nothing"), "ns/op")
	assert.Error(t, err)

	img := draw2(s, "t", "ns/op", "size", false)
	assert.Equal(t, width, img.Bounds().Dx())
	img = draw2(s, "t", "ns/op", "seconds", true)
	assert.Equal(t, width, img.Bounds().Dx())

	lin := newAxis(0, 37, true)
	assert.Equal(t, []float64{0, 10, 20, 30, 40}, lin.ticks(), "round linear ticks from 0")
	assert.Equal(t, 0.5, lin.frac(20))
	log := newAxis(30, 3000, false)
	assert.Equal(t, []float64{10, 100, 1000, 10000}, log.ticks())
}
