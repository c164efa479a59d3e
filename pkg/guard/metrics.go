package guard

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the guard's Prometheus metrics, on a registry of their own
// (nothing global). A nil *Metrics records nothing.
type Metrics struct {
	// Registry holds the metrics below and the Go and process collectors.
	Registry *prometheus.Registry

	releases *prometheus.CounterVec
	failures *prometheus.CounterVec
	undos    *prometheus.CounterVec
	latency  prometheus.Histogram
	guarded  *prometheus.GaugeVec
	leader   prometheus.Gauge
}

// NewMetrics registers the guard's metrics on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		releases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubectl_promote_guard_releases_total",
			Help: "Guarded releases by outcome: passed (healthy through the window), rolled-back, undo-failed, no-undo, already-handled.",
		}, []string{"environment", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubectl_promote_guard_failures_total",
			Help: "Failures the guard detected, by reason (CrashLoopBackOff, OOMKilled, …).",
		}, []string{"environment", "reason"}),
		undos: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubectl_promote_guard_undos_total",
			Help: "Undos the guard started, by result (succeeded, failed).",
		}, []string{"environment", "result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubectl_promote_guard_detection_to_undo_seconds",
			Help:    "Time from the watch observing a failure to the undo starting (lock taken, records checked).",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30},
		}),
		guarded: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kubectl_promote_guard_guarded_releases",
			Help: "1 while an environment's newest successful release is inside its guard window and watched.",
		}, []string{"environment"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kubectl_promote_guard_leader",
			Help: "1 while this replica leads (and guards), 0 while it stands by.",
		}),
	}
	m.Registry.MustRegister(m.releases, m.failures, m.undos, m.latency, m.guarded, m.leader,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) outcome(env string, k Kind) {
	if m != nil {
		m.releases.WithLabelValues(env, string(k)).Inc()
	}
}

func (m *Metrics) failure(env, reason string) {
	if m != nil {
		m.failures.WithLabelValues(env, reason).Inc()
	}
}

func (m *Metrics) undo(env string, ok bool) {
	if m == nil {
		return
	}
	result := "succeeded"
	if !ok {
		result = "failed"
	}
	m.undos.WithLabelValues(env, result).Inc()
}

func (m *Metrics) detectionToUndo(d time.Duration) {
	if m != nil {
		m.latency.Observe(d.Seconds())
	}
}

func (m *Metrics) guarding(env string, on bool) {
	if m == nil {
		return
	}
	v := 0.0
	if on {
		v = 1
	}
	m.guarded.WithLabelValues(env).Set(v)
}

// Leading sets the leader gauge.
func (m *Metrics) Leading(on bool) {
	if m == nil {
		return
	}
	v := 0.0
	if on {
		v = 1
	}
	m.leader.Set(v)
}
