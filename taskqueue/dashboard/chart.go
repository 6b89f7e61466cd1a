package dashboard

import (
	"fmt"
	"strings"
	"time"
)

// chartView is the data of the inline SVG chart: two panels sharing the
// time axis, completions per minute as bars above and mean run time as a
// line below. Every coordinate is computed here; the template only prints
// numbers.
type chartView struct {
	Width, Height        int
	Left, Right          int
	RateBase, LatBase    int
	LatLabelY            int
	Minutes              int
	SampleSeconds        int
	MaxRate, MaxLatency  string
	StartLabel, EndLabel string
	HasLatency           bool
	Bars                 []chartBar
	LatLines             []string
	LatDots              []chartDot
}

type chartBar struct {
	X, Y, W, H string
	Title      string
}

type chartDot struct {
	X, Y  string
	Title string
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 600
	chartHeight = 200
	chartLeft   = 4
	chartRight  = 596
	rateTop     = 22
	rateBase    = 92
	latTop      = 122
	latBase     = 182
	latLabelY   = 114
)

func num(f float64) string { return fmt.Sprintf("%.1f", f) }

// buildChart lays out the chart of points, oldest first.
func buildChart(points []point) chartView {
	c := chartView{
		Width: chartWidth, Height: chartHeight, Left: chartLeft, Right: chartRight,
		RateBase: rateBase, LatBase: latBase, LatLabelY: latLabelY,
		Minutes:       len(points) * int(SampleInterval/time.Second) / 60,
		SampleSeconds: int(SampleInterval / time.Second),
	}
	if len(points) == 0 {
		return c
	}
	step := float64(chartRight-chartLeft) / float64(len(points))
	maxRate := 0.0
	var maxLat time.Duration
	for _, p := range points {
		maxRate = max(maxRate, p.perMinute)
		if p.hasLatency {
			maxLat = max(maxLat, p.meanRun)
			c.HasLatency = true
		}
	}
	c.MaxRate = fmt.Sprintf("%.0f", maxRate)
	c.MaxLatency = fmtDuration(maxLat)
	c.StartLabel = points[0].start.Format("15:04:05")
	c.EndLabel = points[len(points)-1].start.Add(SampleInterval).Format("15:04:05")
	var line []string
	for i, p := range points {
		x := chartLeft + float64(i)*step
		center := x + step/2
		if p.perMinute >= 0 {
			h := 0.0
			if maxRate > 0 {
				h = p.perMinute / maxRate * (rateBase - rateTop)
			}
			c.Bars = append(c.Bars, chartBar{
				X: num(x + 1), Y: num(rateBase - h), W: num(max(step-2, 1)), H: num(h),
				Title: fmt.Sprintf("%s: %.0f completed/min", p.start.Format("15:04:05"), p.perMinute),
			})
		}
		if !p.hasLatency {
			if len(line) > 1 {
				c.LatLines = append(c.LatLines, strings.Join(line, " "))
			}
			line = line[:0]
			continue
		}
		y := float64(latBase)
		if maxLat > 0 {
			y -= float64(p.meanRun) / float64(maxLat) * (latBase - latTop)
		}
		line = append(line, num(center)+","+num(y))
		c.LatDots = append(c.LatDots, chartDot{X: num(center), Y: num(y),
			Title: fmt.Sprintf("%s: mean run time %s", p.start.Format("15:04:05"), fmtDuration(p.meanRun))})
	}
	if len(line) > 1 {
		c.LatLines = append(c.LatLines, strings.Join(line, " "))
	}
	return c
}

// fmtDuration prints d with a precision that suits its size.
func fmtDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}
