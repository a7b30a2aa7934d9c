package fake

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"re6st-tui/node/state"
)

// Enrollment steps an Enroller can be told to fail.
const (
	FailFetchCA      = "fetch-ca"
	FailRequestToken = "request-token"
	FailEnroll       = "enroll"
	FailWriteFiles   = "write-files"
)

// Enroller is a registry that always agrees, unless Fail names a step:
// then that step returns the error given.
type Enroller struct {
	Fail  map[string]error
	Delay time.Duration // pause between progress reports, for demos
	Dir   string        // where WriteFiles claims to write
	Now   time.Time

	ca state.CAInfo
}

// FetchCA implements ui.Enroller.
func (f *Enroller) FetchCA(ctx context.Context, registryURL string) (state.CAInfo, error) {
	u, err := url.Parse(registryURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return state.CAInfo{}, fmt.Errorf("registry URL %q: want http://host/ or https://host/", registryURL)
	}
	if err := f.Fail[FailFetchCA]; err != nil {
		return state.CAInfo{}, err
	}
	f.ca = state.CAInfo{URL: registryURL, Subject: "CN=re6st lab CA", NotAfter: f.Now.AddDate(10, 0, 0),
		Fingerprint: "3A:7F:09:C2:5E:11:84:D0:6B:2A:FE:93:47:18:C6:0D:E5:72:B9:3C:8A:01:4F:D6:29:BE:75:E0:13:9C:44:A8",
		Network:     network}
	return f.ca, nil
}

// RequestToken implements ui.Enroller.
func (f *Enroller) RequestToken(ctx context.Context, email string) error {
	if err := f.Fail[FailRequestToken]; err != nil {
		return err
	}
	return nil
}

// Enroll implements ui.Enroller.
func (f *Enroller) Enroll(ctx context.Context, req state.EnrollRequest, progress func(state.EnrollProgress)) (state.Enrollment, error) {
	for i := 1; i <= 5; i++ {
		progress(state.EnrollProgress{Step: state.StepKeygen, Fraction: float64(i) * 0.12, Detail: "RSA 2048"})
		if err := f.pause(ctx); err != nil {
			return state.Enrollment{}, err
		}
	}
	progress(state.EnrollProgress{Step: state.StepRequest, Fraction: 0.8})
	if err := f.Fail[FailEnroll]; err != nil {
		return state.Enrollment{}, err
	}
	progress(state.EnrollProgress{Step: state.StepReceived, Fraction: 1})
	return state.Enrollment{Prefix: peerPrefix(0), Subject: "CN=" + peerPrefix(0).String(),
		NotAfter: f.Now.AddDate(1, 0, 0), Serial: "4242"}, nil
}

func (f *Enroller) pause(ctx context.Context) error {
	if f.Delay == 0 {
		return ctx.Err()
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WriteFiles implements ui.Enroller; it writes nothing.
func (f *Enroller) WriteFiles(ctx context.Context) ([]string, error) {
	if f.ca.URL == "" {
		return nil, errors.New("write files: no CA fetched yet; start enrollment from the registry URL")
	}
	if err := f.Fail[FailWriteFiles]; err != nil {
		return nil, err
	}
	dir := f.Dir
	if dir == "" {
		dir = "/etc/re6stnet"
	}
	return []string{dir + "/ca.crt", dir + "/cert.key", dir + "/cert.crt", dir + "/re6stnet.conf"}, nil
}
