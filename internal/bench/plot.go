package bench

import (
	"fmt"
	"html"
	"math"
	"os"
	"strings"
)

// Plot geometry: each result gets two panels, latency over time and
// throughput over time, one above the other.
const (
	plotW      = 760
	panelH     = 170
	plotLeft   = 70
	plotRight  = 40
	plotTop    = 44
	panelGap   = 50
	resultHead = 44
)

// WritePlot draws the report as an SVG file at path.
func (rep *Report) WritePlot(path string) error {
	// A mixed run is drawn part by part.
	var rows []*Result
	for _, r := range rep.Results {
		if r.Latency != nil {
			rows = append(rows, r)
		}
		rows = append(rows, r.Parts...)
	}
	var b strings.Builder
	h := 0
	for range rows {
		h += resultHead + 2*(panelH+panelGap)
	}
	h += plotTop
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", plotW, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="16" font-size="13" font-weight="bold">%s</text>`+"\n",
		html.EscapeString(fmt.Sprintf("haven bench %s, flood control %s", rep.Scenario, rep.FloodControl)))
	fmt.Fprintf(&b, `<text x="10" y="32" font-size="11">%s</text>`+"\n", html.EscapeString(rep.Machine.String()))
	y := plotTop
	for _, r := range rows {
		fmt.Fprintf(&b, `<text x="10" y="%d" font-size="12">%s</text>`+"\n", y+14,
			html.EscapeString(fmt.Sprintf("%s %s: %s %s/s, %s p50 %s p99 %s ms", r.Scenario, r.params(),
				fmtCount(r.Throughput), r.Unit, r.LatencyOf, fmtMS(r.Latency.P50), fmtMS(r.Latency.P99))))
		y += resultHead
		// An interval without operations has no latency: the latency
		// lines skip it.
		var xs, lxs, p50, p99, rate []float64
		for _, p := range r.Series {
			xs, rate = append(xs, p.T), append(rate, p.Rate)
			if p.Ops > 0 {
				lxs, p50, p99 = append(lxs, p.T), append(p50, p.P50), append(p99, p.P99)
			}
		}
		xmax := 1.0
		if len(xs) > 0 {
			xmax = max(xmax, xs[len(xs)-1])
		}
		panel(&b, y, "latency, ms ("+r.LatencyOf+")", xmax, []series{{"p99", "#d62728", lxs, p99}, {"p50", "#1f77b4", lxs, p50}})
		y += panelH + panelGap
		panel(&b, y, r.Unit+" per second", xmax, []series{{"rate", "#2ca02c", xs, rate}})
		y += panelH + panelGap
	}
	b.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

type series struct {
	name, color string
	xs, ys      []float64
}

// panel draws the lines ss, over x from 0 to xmax, in a panel whose top
// is at y.
func panel(b *strings.Builder, y int, title string, xmax float64, ss []series) {
	w := float64(plotW - plotLeft - plotRight)
	hh := float64(panelH)
	ymax := 0.0
	for _, s := range ss {
		for _, v := range s.ys {
			ymax = math.Max(ymax, v)
		}
	}
	ymax = niceCeil(ymax)
	fmt.Fprintf(b, `<g transform="translate(%d,%d)">`+"\n", plotLeft, y)
	fmt.Fprintf(b, `<text x="0" y="-6">%s</text>`+"\n", html.EscapeString(title))
	fmt.Fprintf(b, `<rect width="%.0f" height="%.0f" fill="none" stroke="#999"/>`+"\n", w, hh)
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		py := hh - hh*float64(i)/4
		fmt.Fprintf(b, `<line x1="0" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#eee"/>`, w, py, py)
		fmt.Fprintf(b, `<text x="-6" y="%.1f" text-anchor="end">%s</text>`+"\n", py+4, trimFloat(v))
	}
	for i := 0; i <= 5; i++ {
		v := xmax * float64(i) / 5
		px := w * float64(i) / 5
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle">%s s</text>`+"\n", px, hh+15, trimFloat(v))
	}
	for i, s := range ss {
		var pts []string
		for j, v := range s.ys {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", w*s.xs[j]/xmax, hh-hh*v/ymax))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", s.color, strings.Join(pts, " "))
		fmt.Fprintf(b, `<text x="%.0f" y="%d" fill="%s">%s</text>`+"\n", w-40*float64(len(ss)-i), -6, s.color, s.name)
	}
	b.WriteString("</g>\n")
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", math.Round(v/1e5)/10)
	case v >= 1e4:
		return fmt.Sprintf("%gk", math.Round(v/100)/10)
	}
	return fmt.Sprintf("%g", math.Round(v*100)/100)
}
