package main

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"re6st-tui/node/enroll"
	"re6st-tui/node/state"
)

// registryEnroller drives node/enroll for the wizard (ui.Enroller).
type registryEnroller struct {
	dir string
	e   *enroll.Enrollment // after FetchCA
}

var errNoCA = errors.New("no CA fetched yet: start again from the registry URL")

// FetchCA implements ui.Enroller.
func (r *registryEnroller) FetchCA(ctx context.Context, url string) (state.CAInfo, error) {
	e, err := enroll.New(url, r.dir)
	if err != nil {
		return state.CAInfo{}, fmt.Errorf("registry URL %q: %w", url, err)
	}
	ca, err := e.FetchCA(ctx)
	if err != nil {
		return state.CAInfo{}, err
	}
	fp, err := e.Fingerprint("sha256")
	if err != nil {
		return state.CAInfo{}, err
	}
	r.e = e
	return state.CAInfo{URL: url, Subject: nameText(ca.Cert.Subject), Fingerprint: colonHex(fp),
		NotAfter: ca.Cert.NotAfter, Network: ca.Prefix}, nil
}

// colonHex turns "sha256:3a7f09" into "3A:7F:09", the way certificate
// tools print fingerprints.
func colonHex(fp string) string {
	_, h, _ := strings.Cut(fp, ":")
	h = strings.ToUpper(h)
	var b strings.Builder
	for i := 0; i+1 < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// RequestToken implements ui.Enroller.
func (r *registryEnroller) RequestToken(ctx context.Context, email string) error {
	if r.e == nil {
		return errNoCA
	}
	err := r.e.RequestToken(ctx, email)
	if errors.Is(err, enroll.ErrRegistrationDisabled) {
		return reword(err, "the registry sends no tokens by mail (403)")
	}
	return err
}

// rewordedError keeps the cause for errors.Is but reads as the wizard
// needs: node/enroll words its errors for re6st-conf's flags.
type rewordedError struct {
	msg   string
	cause error
}

func (e *rewordedError) Error() string { return e.msg }
func (e *rewordedError) Unwrap() error { return e.cause }

func reword(cause error, msg string) error { return &rewordedError{msg: msg, cause: cause} }

// Enroll implements ui.Enroller: key (reused or generated), then the
// signed certificate. RSA generation cannot report its own progress, so
// the bar moves around it.
func (r *registryEnroller) Enroll(ctx context.Context, req state.EnrollRequest, progress func(state.EnrollProgress)) (state.Enrollment, error) {
	if r.e == nil {
		return state.Enrollment{}, errNoCA
	}
	e := r.e
	if err := e.CheckWritable(); err != nil { // before spending minutes on a key
		return state.Enrollment{}, err
	}
	progress(state.EnrollProgress{Step: state.StepKeygen, Fraction: 0.1, Detail: fmt.Sprintf("RSA %d bits", e.CA.Bits())})
	if err := e.PrepareKey(); err != nil {
		return state.Enrollment{}, err
	}
	detail := "new key"
	if e.KeyReused {
		detail = "reusing " + filepath.Join(r.dir, enroll.KeyFile)
	}
	progress(state.EnrollProgress{Step: state.StepRequest, Fraction: 0.6, Detail: detail})
	subject, err := e.Subject(nil)
	if err != nil {
		return state.Enrollment{}, err
	}
	cert, err := e.RequestCertificate(ctx, req.Token, subject, "")
	switch {
	case errors.Is(err, enroll.ErrRegistrationDisabled) && req.Anonymous():
		return state.Enrollment{}, reword(err, "the registry does not accept anonymous nodes (403)")
	case errors.Is(err, enroll.ErrRegistrationDisabled):
		return state.Enrollment{}, reword(err, "the registry does not accept registrations with a token (403)")
	case err != nil:
		return state.Enrollment{}, err
	}
	res, err := e.Result()
	if err != nil {
		return state.Enrollment{}, err
	}
	progress(state.EnrollProgress{Step: state.StepReceived, Fraction: 1})
	return state.Enrollment{Prefix: res.Subnet, Subject: cert.Subject.String(), NotAfter: cert.NotAfter,
		Serial: cert.SerialNumber.String()}, nil
}

// WriteFiles implements ui.Enroller: the key and certificate are on disk
// already (Enroll writes them atomically); the CA and configuration follow.
func (r *registryEnroller) WriteFiles(ctx context.Context) ([]string, error) {
	if r.e == nil || r.e.Cert == nil {
		return nil, errors.New("no certificate yet: finish enrollment first")
	}
	if err := r.e.WriteCA(); err != nil {
		return nil, err
	}
	if _, err := r.e.WriteConf(""); err != nil {
		return nil, err
	}
	var files []string
	for _, f := range []string{enroll.CAFile, enroll.KeyFile, enroll.CertFile, enroll.ConfFile} {
		files = append(files, filepath.Join(r.dir, f))
	}
	return files, nil
}

// nameText prints the parts of a name people recognise (CN, O, OU),
// leaving out attributes that only print as OIDs.
func nameText(n pkix.Name) string {
	parts := []string{}
	if n.CommonName != "" {
		parts = append(parts, "CN="+n.CommonName)
	}
	for _, o := range n.Organization {
		parts = append(parts, "O="+o)
	}
	for _, u := range n.OrganizationalUnit {
		parts = append(parts, "OU="+u)
	}
	if len(parts) == 0 {
		return n.String()
	}
	return strings.Join(parts, ", ")
}
