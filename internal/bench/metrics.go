package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The server's own time to answer each method comes from its Prometheus
// histogram haven_api_request_duration_seconds (on --metrics-listen),
// read before and after the measured phase: the difference is what the
// phase cost inside the server, without the network and the load
// generator. Its resolution is the histogram's buckets, so a quantile
// is given as the bucket's upper bound ("p99 ≤ 1 ms").
const durationMetric = "haven_api_request_duration_seconds_bucket"

// buckets are one method's cumulative counts by upper bound (seconds).
type buckets map[float64]float64

// scrape reads the request-duration buckets of every method.
func scrape(ctx context.Context, url string) (map[string]buckets, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	return parseBuckets(io.LimitReader(resp.Body, 64<<20))
}

// parseBuckets reads lines such as
// haven_api_request_duration_seconds_bucket{method="messages.send",le="0.001"} 42
func parseBuckets(r io.Reader) (map[string]buckets, error) {
	out := map[string]buckets{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, durationMetric+"{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		var method, le string
		for kv := range strings.SplitSeq(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			v = strings.Trim(v, `"`)
			switch k {
			case "method":
				method = v
			case "le":
				le = v
			}
		}
		bound, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
		if err != nil || method == "" {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		if out[method] == nil {
			out[method] = buckets{}
		}
		out[method][bound] = n
	}
	return out, sc.Err()
}

// ServerTime is a method's time inside the server over a phase, at the
// resolution of its histogram's buckets.
type ServerTime struct {
	Count int64 `json:"count"`
	// P50 and P99 are upper bounds in milliseconds: half (99%) of the
	// calls took at most this long. +Inf is given as -1.
	P50 float64 `json:"p50_at_most_ms"`
	P99 float64 `json:"p99_at_most_ms"`
}

// serverTimes is the difference of two scrapes, method by method.
func serverTimes(before, after map[string]buckets) map[string]*ServerTime {
	out := map[string]*ServerTime{}
	for method, b := range after {
		bounds := make([]float64, 0, len(b))
		for le := range b {
			bounds = append(bounds, le)
		}
		sort.Float64s(bounds)
		delta := make([]float64, len(bounds))
		for i, le := range bounds {
			delta[i] = b[le] - before[method][le]
		}
		total := delta[len(delta)-1]
		if total <= 0 {
			continue
		}
		at := func(q float64) float64 {
			for i, le := range bounds {
				if delta[i] >= q*total {
					if math.IsInf(le, 1) {
						return -1
					}
					return le * 1000
				}
			}
			return -1
		}
		out[method] = &ServerTime{Count: int64(total), P50: at(0.5), P99: at(0.99)}
	}
	return out
}
