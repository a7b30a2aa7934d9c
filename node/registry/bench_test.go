package registry

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
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

// cpuTime is the CPU time this process used so far (server and client
// sides of the benchmark together), to give a figure that does not depend
// on how busy the machine is.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (l *latencies) report(b *testing.B, elapsed, cpu time.Duration) {
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
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

// BenchmarkRequestCertificate measures anonymous issuance over HTTP, on
// an empty database and on one already holding 20,000 certificates, to
// show that the rate does not fall as the database grows.
func BenchmarkRequestCertificate(b *testing.B) {
	key := idtest.Key(2048, 1)
	req := csr(b, key)
	for _, stored := range []int{0, 20000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			r, url := benchRegistry(b)
			if stored > 0 {
				r, url = prefill(b, r, stored)
			}
			var lat latencies
			b.SetParallelism(4)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
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
			lat.report(b, time.Since(start), cpuTime()-cpu0)
		})
	}
}

// prefill stores n certificates (one shared PEM: only the number of rows
// and index entries matters here) through the tree allocator, then
// reopens the registry so that it loads them like an existing database.
func prefill(b *testing.B, r *Registry, n int) (*Registry, string) {
	pem, err := r.RequestCertificate(CertRequest{CSR: csr(b, idtest.Key(2048, 1))})
	if err != nil {
		b.Fatal(err)
	}
	r.mu.Lock()
	err = r.tx(func(tx *sql.Tx) error {
		for i := 1; i < n; i++ {
			p, ops, err := r.tree.alloc(r.cfg.AnonymousPrefixLength, "")
			if err != nil {
				return err
			}
			ops = append(ops, stmt{"UPDATE cert SET cert = ? WHERE prefix = ?", []any{string(pem), p}})
			if err := run(tx, ops); err != nil {
				return err
			}
		}
		return nil
	})
	r.mu.Unlock()
	if err != nil {
		b.Fatal(err)
	}
	cfg := r.cfg
	r.Close()
	r = openTest(b, cfg)
	if len(r.tree.rows) < n {
		b.Fatalf("prefill: %d rows", len(r.tree.rows))
	}
	srv := httptest.NewServer(r)
	b.Cleanup(srv.Close)
	return r, srv.URL
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
	// Two workers per CPU: enough to keep the server busy without
	// measuring mostly the client goroutines' queueing.
	b.SetParallelism(2)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
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
	lat.report(b, time.Since(start), cpuTime()-cpu0)
}

// BenchmarkIssueDirect is the registry's own cost of one anonymous
// issuance (no HTTP): allocation, two SQLite commits, one CA signature.
func BenchmarkIssueDirect(b *testing.B) {
	r, _ := benchRegistry(b)
	req := csr(b, idtest.Key(2048, 1))
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.RequestCertificate(CertRequest{CSR: req}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	var lat latencies
	lat.report(b, time.Since(start), cpuTime()-cpu0)
}
