package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/havenchat/haven/internal/bus/ordered"
)

// registerBusMetrics exposes the queue between the store's writer and
// the bus: events waiting, and how often the writer found it full (the
// fan-out is behind the commits, and writes are slowed to its pace).
func registerBusMetrics(reg prometheus.Registerer, b *ordered.Bus) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "haven_publish_queue",
		Help: "Committed events waiting to be published to the bus.",
	}, func() float64 { return float64(b.Stats().Queued) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "haven_publish_queue_full_total",
		Help: "Publishes that found the queue to the bus full and waited (the fan-out was behind the commits).",
	}, func() float64 { return float64(b.Stats().FullWaits) }))
}
