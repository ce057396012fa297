package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the API's Prometheus series.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	sockets  prometheus.Gauge
	cut      prometheus.Counter
	refused  *prometheus.CounterVec
	timedOut *prometheus.CounterVec
	// reorderGaps and reorderLate count chat pushes that came out of
	// the chat's order across nodes (reorder.go).
	reorderGaps prometheus.Counter
	reorderLate prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haven_api_requests_total",
			Help: "API requests by method and result code (OK or an error code).",
		}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "haven_api_request_duration_seconds",
			Help: "Time to answer an API request, by method.",
			// Finer around a millisecond, where the read targets are (a
			// history page: p99 ≤ 1 ms), so that the figure can be read.
			Buckets: []float64{.0001, .00025, .0005, .00075, .001, .0015, .002, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method"}),
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "haven_websockets_open",
			Help: "WebSocket connections open now.",
		}),
		cut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haven_websockets_cut_slow_total",
			Help: "WebSockets closed for being too slow: their outgoing queue full, or a write that took nothing for the write timeout.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haven_websockets_refused_total",
			Help: "WebSockets refused, or not bound to a session, by the cap they met (ip, unauthorized, user).",
		}, []string{"limit"}),
		timedOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haven_websockets_timed_out_total",
			Help: "WebSockets closed for not being authorized in time (auth) or not answering a ping (ping).",
		}, []string{"reason"}),
		reorderGaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haven_push_order_gaps_total",
			Help: "Times a node stopped waiting for a chat's missing pushes and sent the later ones (clients fill the gap from the log).",
		}),
		reorderLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haven_push_late_total",
			Help: "Chat pushes dropped for coming after later ones were sent (clients have them or fetch them from the log).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency, m.sockets, m.cut, m.refused, m.timedOut, m.reorderGaps, m.reorderLate)
	}
	return m
}

func (m *metrics) observe(method, code string, d time.Duration) {
	m.requests.WithLabelValues(method, code).Inc()
	m.latency.WithLabelValues(method).Observe(d.Seconds())
}
