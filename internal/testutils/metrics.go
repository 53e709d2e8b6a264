package testutils

import (
	"fmt"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// FlatMetrics flattens metric families into one value per series, keyed
// `name{label="value",...}` (labels sorted; no braces without labels). A
// histogram gives name_count, name_sum and name_bucket{le="..."}, the
// +Inf bucket included.
func FlatMetrics(fams []*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			labels := labelPairs(m.GetLabel())
			name := f.GetName()
			switch {
			case m.Counter != nil:
				out[seriesKey(name, labels)] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[seriesKey(name, labels)] = m.GetGauge().GetValue()
			case m.Untyped != nil:
				out[seriesKey(name, labels)] = m.GetUntyped().GetValue()
			case m.Histogram != nil:
				h := m.GetHistogram()
				out[seriesKey(name+"_count", labels)] = float64(h.GetSampleCount())
				out[seriesKey(name+"_sum", labels)] = h.GetSampleSum()
				bucket := func(bound string, n float64) {
					le := append(append([]string(nil), labels...), fmt.Sprintf("le=%q", bound))
					sort.Strings(le)
					out[seriesKey(name+"_bucket", le)] = n
				}
				// The +Inf bucket, implicit in a gathered histogram, is
				// its count.
				bucket("+Inf", float64(h.GetSampleCount()))
				for _, b := range h.GetBucket() {
					bucket(fmt.Sprint(b.GetUpperBound()), float64(b.GetCumulativeCount()))
				}
			}
		}
	}
	return out
}

// Series returns the key of FlatMetrics for name with labels given as
// name, value pairs.
func Series(name string, kv ...string) string {
	var labels []string
	for i := 0; i+1 < len(kv); i += 2 {
		labels = append(labels, fmt.Sprintf("%s=%q", kv[i], kv[i+1]))
	}
	sort.Strings(labels)
	return seriesKey(name, labels)
}

func labelPairs(ps []*dto.LabelPair) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s=%q", p.GetName(), p.GetValue()))
	}
	sort.Strings(out)
	return out
}

func seriesKey(name string, labels []string) string {
	if len(labels) == 0 {
		return name
	}
	return name + "{" + strings.Join(labels, ",") + "}"
}
