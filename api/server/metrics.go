package server

import (
	"net/http"

	"github.com/cnmkit/libnetwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"
)

// metricsHandler serves, in the Prometheus text format, the metrics of
// controller c (libnetwork.NewCollector) with those of the Go runtime and
// of this process.
func metricsHandler(c libnetwork.NetworkController) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if col, err := libnetwork.NewCollector(c); err != nil {
		logrus.WithError(err).Warn("/metrics: no controller metrics")
	} else {
		reg.MustRegister(col)
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
