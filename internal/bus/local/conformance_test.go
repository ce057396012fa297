package local_test

import (
	"testing"

	"github.com/havenchat/haven/internal/bus/bustest"
	"github.com/havenchat/haven/internal/bus/local"
	"github.com/havenchat/haven/internal/core"
)

func TestConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Cluster {
		b := local.New()
		return bustest.Cluster{Shared: true, Node: func(*testing.T, bustest.NodeOptions) core.Bus { return b }}
	})
}
