package registry

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/regclient"
)

// latencies collects request durations from parallel workers.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	if n := len(l.d); n > 0 {
		b.ReportMetric(float64(l.d[n*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(l.d[n/2].Microseconds())/1000, "p50-ms")
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

// benchRegistry serves a registry with the shared 2048-bit CA on loopback.
func benchRegistry(b *testing.B) (*Registry, string) {
	ca := idtest.Shared()
	cfg := testConfig(b.TempDir(), ca)
	cfg.DB = filepath.Join(b.TempDir(), "registry.db")
	cfg.AnonymousPrefixLength = 40 // room for 2^40 nodes in the /48
	r := openTest(b, cfg)
	srv := httptest.NewServer(r)
	b.Cleanup(srv.Close)
	return r, srv.URL
}

// BenchmarkRequestCertificate measures anonymous issuance over HTTP,
// on an empty database and on one already holding certificates, to show
// that the rate does not fall as the database grows.
func BenchmarkRequestCertificate(b *testing.B) {
	key := idtest.Key(2048, 1)
	req := csr(b, key)
	for _, prefill := range []int{0, 3000} {
		b.Run(fmt.Sprintf("stored=%d", prefill), func(b *testing.B) {
			r, url := benchRegistry(b)
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < prefill/4; i++ {
						if _, err := r.RequestCertificate(CertRequest{CSR: req}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			var lat latencies
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				c, _ := regclient.New(url)
				var mine []time.Duration
				for pb.Next() {
					t0 := time.Now()
					if _, err := c.RequestCertificate(context.Background(), "", req, ""); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				lat.add(mine)
			})
			lat.report(b, time.Since(start))
		})
	}
}

// BenchmarkGetNetworkConfig measures authenticated getNetworkConfig over
// HTTP, each worker with its own node session (its own certificate).
func BenchmarkGetNetworkConfig(b *testing.B) {
	r, url := benchRegistry(b)
	ca := idtest.Shared()
	key := idtest.Key(2048, 1)
	req := csr(b, key)
	var clients []*regclient.Client
	for i := 0; i < 16; i++ {
		pem, err := r.RequestCertificate(CertRequest{CSR: req})
		if err != nil {
			b.Fatal(err)
		}
		c, _ := identity.ParseCertPEM(pem)
		p, _ := identity.PrefixFromCN(c.Subject.CommonName)
		cl, _ := regclient.New(url)
		cl.HTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		cl.SetIdentity(ca.CA, key, p)
		if _, err := cl.GetNetworkConfig(context.Background()); err != nil { // checks it decodes
			b.Fatal(err)
		}
		clients = append(clients, cl)
	}
	var (
		mu   sync.Mutex
		next int
		lat  latencies
	)
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		c := clients[next%len(clients)]
		next++
		mu.Unlock()
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if _, err := c.GetNetworkConfigRaw(context.Background()); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		lat.add(mine)
	})
	lat.report(b, time.Since(start))
}
