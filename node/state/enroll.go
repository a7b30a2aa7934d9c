package state

import (
	"net/netip"
	"time"
)

// CAInfo is what a person checks before trusting a registry: the CA
// certificate's subject, validity and SHA-256 fingerprint.
type CAInfo struct {
	URL         string       `json:"url"`
	Subject     string       `json:"subject"`
	Fingerprint string       `json:"fingerprint"` // SHA-256 of the DER, colon-separated hex
	NotAfter    time.Time    `json:"not_after"`
	Network     netip.Prefix `json:"network"` // the network prefix the registry serves, when known
}

// EnrollRequest asks the registry for a certificate. An empty Token
// means anonymous enrollment, which the registry may refuse.
type EnrollRequest struct {
	Email string `json:"email,omitempty"`
	Token string `json:"token,omitempty"`
}

// Anonymous reports whether the request carries no token.
func (r EnrollRequest) Anonymous() bool { return r.Token == "" }

// EnrollStep names a stage of Enroll, for progress display.
type EnrollStep string

// Stages of enrollment, in order.
const (
	StepKeygen   EnrollStep = "keygen"   // generating the private key
	StepRequest  EnrollStep = "request"  // sending the signing request
	StepReceived EnrollStep = "received" // certificate received and checked
)

// EnrollProgress reports how far Enroll got; Fraction is 0..1 within the
// whole enrollment.
type EnrollProgress struct {
	Step     EnrollStep `json:"step"`
	Fraction float64    `json:"fraction"`
	Detail   string     `json:"detail,omitempty"`
}

// Enrollment is the outcome of a successful Enroll: the certificate's
// essentials. The key and certificate bytes stay in the enroll package
// until WriteFiles.
type Enrollment struct {
	Prefix   netip.Prefix `json:"prefix"`
	Subject  string       `json:"subject"`
	NotAfter time.Time    `json:"not_after"`
	Serial   string       `json:"serial"`
}
