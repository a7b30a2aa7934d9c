// Package enroll turns a machine into a member of a re6st network, step by
// step, as re6st-conf does and as an interactive wizard can drive it:
// fetch the CA, show its fingerprint, get a token (or go anonymous),
// prepare the key, request the certificate, and write ca.crt, cert.crt,
// cert.key and re6stnet.conf atomically. It also holds the renewal rules
// a node applies to its certificate and CA.
package enroll
