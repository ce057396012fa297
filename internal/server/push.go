package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/push"
)

// pushSender loads (on first start, makes) the VAPID keys and returns
// the Web Push sender.
func pushSender(cfg *config.Serve, opt Options) (*push.Sender, error) {
	keys, err := push.LoadKeys(cfg.PushKeyFile)
	if err != nil {
		return nil, err
	}
	return push.New(push.Options{
		Keys:         keys,
		Contact:      cfg.PushContact,
		AllowPrivate: cfg.PushAllowPrivate,
		RootCAs:      opt.PushRootCAs,
		Conns:        cfg.PushWorkers,
	})
}

// registerPushMetrics exposes the counts of Web Push delivery.
func registerPushMetrics(reg prometheus.Registerer, co *core.Service) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "haven_push_backlog",
		Help: "New messages waiting for or in their Web Push fan-out, plus pushes waiting for or in delivery.",
	}, func() float64 { return float64(co.PushStats().Backlog) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "haven_push_dropped_total",
		Help: "New messages that notified no one because the push queue was full (push-queue).",
	}, func() float64 { return float64(co.PushStats().Dropped) }))
	for result, count := range map[string]func(core.PushStats) int64{
		"sent":   func(s core.PushStats) int64 { return s.Sent },
		"gone":   func(s core.PushStats) int64 { return s.Gone },
		"failed": func(s core.PushStats) int64 { return s.Failed },
		"awake":  func(s core.PushStats) int64 { return s.Awake },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "haven_push_notifications_total",
			Help:        "Web Push notifications by result: sent (accepted by the push service), gone (the subscription no longer exists; deleted), failed, awake (not sent: the session had a socket open).",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 { return float64(count(co.PushStats())) }))
	}
}
