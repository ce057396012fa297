package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/havenchat/haven/internal/bus/local"
	natsbus "github.com/havenchat/haven/internal/bus/nats"
	"github.com/havenchat/haven/internal/bus/ordered"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/core"
)

// openBus returns the bus behind the node's ordered publisher: the
// in-process bus, or the NATS bus when the bus setting names servers (then
// also as nb). A node whose NATS servers do not answer does not start.
func openBus(ctx context.Context, cfg *config.Serve, log *slog.Logger, gaps prometheus.Counter, onGap func()) (b core.Bus, nb *natsbus.Bus, err error) {
	if cfg.Bus == "" {
		return local.New(), nil, nil
	}
	host, _ := os.Hostname()
	nb, err = natsbus.Connect(ctx, natsbus.Options{
		URL:  cfg.Bus,
		Name: "haven " + host + " " + cfg.Listen,
		Log:  log,
		// Pushes carry sequence numbers: a client that sees a gap asks
		// for the difference (DESIGN.md, principle 2). But a gap in a
		// quiet chat shows only at its next push, so the node closes its
		// sockets (ADR 0011) and counts the gap for operators.
		OnGap: func(error) {
			gaps.Inc()
			onGap()
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("opening the bus: %w", err)
	}
	log.Info("bus: NATS", "server", nb.Server())
	return nb, nb, nil
}

// closeBus publishes what is queued, then closes the NATS connection.
func (s *Server) closeBus(ctx context.Context) error {
	err := errors.Join(s.closeShared(), s.bus.Close(ctx))
	if s.net != nil {
		err = errors.Join(err, s.net.Close(ctx))
	}
	return err
}

// registerBusMetrics exports the state of the node's ordered queue to
// the bus: events waiting, and how often the writer found it full (the
// fan-out is not keeping up), and the NATS connection's gaps.
func registerBusMetrics(reg prometheus.Registerer, b *ordered.Bus, gaps prometheus.Counter, nb *natsbus.Bus) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "haven_publish_queue",
		Help: "Committed events waiting to be published to the bus.",
	}, func() float64 { return float64(b.Stats().Queued) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "haven_publish_queue_full_total",
		Help: "Publishes that found the queue to the bus full and waited (the fan-out was behind the commits).",
	}, func() float64 { return float64(b.Stats().FullWaits) }))
	if nb == nil {
		return
	}
	reg.MustRegister(gaps)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "haven_bus_connected",
		Help: "1 while the node is connected to a NATS server, 0 while it reconnects.",
	}, func() float64 {
		if nb.Connected() {
			return 1
		}
		return 0
	}))
}
