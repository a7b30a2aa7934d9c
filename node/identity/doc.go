// Package identity holds what makes a re6st node itself: the network CA,
// the node certificate whose CN encodes its prefix, and its RSA key.
//
// Prefixes are binary strings ("0000000000000001") relative to the network;
// certificates carry them in CN form ("1/16"). The network prefix is encoded
// in the CA serial (a 1 bit followed by the network bits). All RSA
// operations are PKCS#1 v1.5, signatures over SHA-512, as re6st does.
package identity
