package registry

import (
	"sync"
	"testing"

	"re6st-tui/node/identity"
)

// TestConcurrentIssuance issues, renews and revokes from many goroutines:
// every prefix, X.509 serial and subject serial must stay unique.
func TestConcurrentIssuance(t *testing.T) {
	r := openTest(t, testConfig(t.TempDir(), testCA()))
	req := csr(t, nodeKey(0))
	const workers, each = 8, 8
	var (
		mu       sync.Mutex
		prefixes = map[string]bool{}
		serials  = map[int64]bool{}
		subjects = map[string]bool{}
		wg       sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				pem, err := r.RequestCertificate(CertRequest{CSR: req})
				if err != nil {
					t.Error(err)
					return
				}
				c, _ := identity.ParseCertPEM(pem)
				p, _ := identity.PrefixFromCN(c.Subject.CommonName)
				if _, err := r.RenewCertificate(p); err != nil {
					t.Error(err)
				}
				if i == 0 {
					// Revoking by serial keeps the row and the subject serial.
					if err := r.Revoke(c.SerialNumber.String()); err != nil {
						t.Error(err)
					}
				}
				mu.Lock()
				if prefixes[p] || serials[c.SerialNumber.Int64()] || subjects[c.Subject.SerialNumber] {
					t.Errorf("duplicate: prefix %s serial %v subject %s", p, c.SerialNumber, c.Subject.SerialNumber)
				}
				prefixes[p], serials[c.SerialNumber.Int64()], subjects[c.Subject.SerialNumber] = true, true, true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(prefixes) != workers*each || len(r.CRL()) != workers {
		t.Fatalf("%d prefixes, %d revoked", len(prefixes), len(r.CRL()))
	}
	checkMirror(t, r)
	if st, err := r.Stats(); err != nil || st.Certificates != workers*each || st.Revoked != workers || st.Version != 1+workers || st.FreeBlocks == 0 {
		t.Errorf("stats %+v %v", st, err)
	}
	// The database agrees with memory after a restart.
	r.Close()
	r2 := openTest(t, r.cfg)
	if len(r2.certs) != workers*each || r2.serial != r.serial {
		t.Errorf("after reopen: %d certs, serial %d (was %d)", len(r2.certs), r2.serial, r.serial)
	}
	if v1, _ := r2.Version(); v1 != uint64(1+workers) {
		t.Errorf("version %d, want %d", v1, 1+workers)
	}
}
