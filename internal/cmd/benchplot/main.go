// Command benchplot draws `go test -bench` results as a line chart (PNG):
// one line per benchmark family, x the number after "=" in the last
// sub-benchmark name (keys=1000, callers=100, ...), y a metric (ns/op by
// default), both on log scales. It is how the README's scale plot is made:
//
//	go test -run '^$' -bench 'Scale' -count 3 ./tokencache > scale.txt
//	go run ./internal/cmd/benchplot -in scale.txt -match 'KeyedGet' -out docs/scale.png
//
// With several runs of one benchmark (-count), the median is drawn.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

func main() {
	in := flag.String("in", "-", "benchmark output to read (- for stdin)")
	out := flag.String("out", "scale.png", "PNG file to write")
	match := flag.String("match", ".", "regexp a benchmark name must match to be drawn")
	metric := flag.String("metric", "ns/op", "the metric (unit) to draw")
	title := flag.String("title", "", "chart title (default: the metric)")
	linear := flag.Bool("linear", false, "linear axes from 0 instead of log scales (for time series)")
	xlabel := flag.String("xlabel", "size", "what x is")
	flag.Parse()

	r := io.Reader(os.Stdin)
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		r = f
	}
	re, err := regexp.Compile(*match)
	if err != nil {
		fail(err)
	}
	series, err := parse(r, re, *metric)
	if err != nil {
		fail(err)
	}
	if *title == "" {
		*title = *metric
	}
	img := draw2(series, *title, *metric, *xlabel, *linear)
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	if err := png.Encode(f, img); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchplot:", err)
	os.Exit(1)
}

// point is one x with every run's value.
type point struct {
	x    float64
	runs []float64
}

// Series is one benchmark family's points, sorted by x.
type Series struct {
	Name   string
	Points []point
}

var (
	sizeRE  = regexp.MustCompile(`^[A-Za-z_]+=(\d+)$`)
	procsRE = regexp.MustCompile(`-\d+$`)
)

// split reads a benchmark name such as
// BenchmarkKeyedGetHitScale/keys=1000/impl=sync.Map-2 as the series
// "KeyedGetHitScale/impl=sync.Map" at x=1000. ok is false without a
// name=N element.
func split(name string) (series string, x float64, ok bool) {
	var rest []string
	for _, part := range strings.Split(procsRE.ReplaceAllString(strings.TrimPrefix(name, "Benchmark"), ""), "/") {
		if m := sizeRE.FindStringSubmatch(part); m != nil && !ok {
			x, _ = strconv.ParseFloat(m[1], 64)
			ok = true
			continue
		}
		rest = append(rest, part)
	}
	return strings.Join(rest, "/"), x, ok
}

// parse reads benchmark lines and groups them by family.
func parse(r io.Reader, match *regexp.Regexp, metric string) ([]Series, error) {
	bySeries := map[string]map[float64][]float64{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || !match.MatchString(fields[0]) {
			continue
		}
		name, x, ok := split(fields[0])
		if !ok {
			continue
		}
		for i := 2; i+1 < len(fields); i += 2 {
			if fields[i+1] != metric {
				continue
			}
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			if bySeries[name] == nil {
				bySeries[name] = map[float64][]float64{}
				order = append(order, name)
			}
			bySeries[name][x] = append(bySeries[name][x], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(order) == 0 {
		return nil, errors.New("no benchmark with a size (name=N) and the metric matched")
	}
	var out []Series
	for _, name := range order {
		s := Series{Name: name}
		for x, runs := range bySeries[name] {
			s.Points = append(s.Points, point{x, runs})
		}
		slices.SortFunc(s.Points, func(a, b point) int { return int(math.Copysign(1, a.x-b.x)) })
		out = append(out, s)
	}
	return out, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xff, 0x7f, 0x0e, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
}

const (
	width, height = 900, 520
	left, right   = 80, 260
	top, bottom   = 50, 60
)

// draw2 renders the chart: log-log axes with decade ticks (or linear ones
// from 0 with five ticks), a line and dots per series, a legend on the
// right.
func draw2(series []Series, title, metric, xlabel string, linear bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Points {
			y := median(p.runs)
			minX, maxX = math.Min(minX, p.x), math.Max(maxX, p.x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
	}
	ax, ay := newAxis(minX, maxX, linear), newAxis(minY, maxY, linear)
	px := func(x float64) int { return left + int(ax.frac(x)*float64(width-left-right)) }
	py := func(y float64) int { return height - bottom - int(ay.frac(y)*float64(height-top-bottom)) }
	grey := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	black := color.RGBA{0, 0, 0, 0xff}
	for _, v := range ax.ticks() {
		x := px(v)
		line(img, x, top, x, height-bottom, grey)
		text(img, x-12, height-bottom+18, human(v), black)
	}
	for _, v := range ay.ticks() {
		y := py(v)
		line(img, left, y, width-right, y, grey)
		text(img, 8, y+4, human(v), black)
	}
	line(img, left, height-bottom, width-right, height-bottom, black)
	line(img, left, top, left, height-bottom, black)
	text(img, left, 20, title, black)
	scale := " (log scale)"
	if linear {
		scale = ""
	}
	text(img, (left+width-right)/2-40, height-18, xlabel+scale, black)
	text(img, 8, top-6, metric+scale, black)
	for i, s := range series {
		c := palette[i%len(palette)]
		var prevX, prevY int
		for j, p := range s.Points {
			x, y := px(p.x), py(median(p.runs))
			if j > 0 {
				thick(img, prevX, prevY, x, y, c)
			}
			dot(img, x, y, c)
			prevX, prevY = x, y
		}
		ly := top + 20 + i*22
		thick(img, width-right+16, ly-4, width-right+40, ly-4, c)
		text(img, width-right+46, ly, legend(s.Name), black)
	}
	return img
}

// axis maps values to [0, 1]: by decades on a log scale, or from 0 to a
// round maximum on a linear one.
type axis struct {
	linear bool
	lo, hi float64 // decades (log) or values (linear)
}

func newAxis(min, max float64, linear bool) axis {
	if linear {
		step := niceStep(max / 5)
		return axis{linear: true, lo: 0, hi: math.Max(step, math.Ceil(max/step)*step)}
	}
	a := axis{lo: math.Floor(math.Log10(min)), hi: math.Ceil(math.Log10(max))}
	if a.hi == a.lo {
		a.hi++
	}
	return a
}

func (a axis) frac(v float64) float64 {
	if a.linear {
		return (v - a.lo) / (a.hi - a.lo)
	}
	return (math.Log10(v) - a.lo) / (a.hi - a.lo)
}

func (a axis) ticks() []float64 {
	var t []float64
	if a.linear {
		step := niceStep(a.hi / 5)
		for v := a.lo; v <= a.hi+step/2; v += step {
			t = append(t, v)
		}
		return t
	}
	for d := a.lo; d <= a.hi; d++ {
		t = append(t, math.Pow(10, d))
	}
	return t
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// legend is a series' last name element, without an "impl=" prefix:
// the chart's title says what the family is.
func legend(name string) string {
	return strings.TrimPrefix(name[strings.LastIndexByte(name, '/')+1:], "impl=")
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for {
		img.Set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func thick(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	for o := -1; o <= 1; o++ {
		line(img, x0, y0+o, x1, y1+o, c)
	}
}

func dot(img *image.RGBA, x, y int, c color.Color) {
	for i := -3; i <= 3; i++ {
		for j := -3; j <= 3; j++ {
			if i*i+j*j <= 9 {
				img.Set(x+i, y+j, c)
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
