package search

import "testing"

// BenchmarkMetaGrad times one task of the default perf workload per mode
// with a smaller query set (go test -bench MetaGrad ./search).
func BenchmarkMetaGrad(b *testing.B) {
	for _, m := range []GradMode{Exact, FiniteDiff, FirstOrder} {
		b.Run(string(m), func(b *testing.B) {
			c := DefaultPerfConfig()
			c.Mode, c.Query, c.Net.Channels, c.Net.Cells = m, 25, 4, 2
			fn, err := PerfWorkload(c)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
