package identity

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// CheckBits reports whether s is a binary string of at most 128 '0'/'1'.
func CheckBits(s string) error {
	if len(s) > 128 {
		return fmt.Errorf("prefix %q longer than 128 bits", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '0' && s[i] != '1' {
			return fmt.Errorf("prefix %q is not a binary string", s)
		}
	}
	return nil
}

// CN returns the certificate CN of a binary prefix: "<value>/<length>".
func CN(prefix string) string {
	v, ok := new(big.Int).SetString(prefix, 2)
	if !ok {
		v = new(big.Int)
	}
	return v.String() + "/" + strconv.Itoa(len(prefix))
}

// PrefixFromCN parses a CN ("1/16") back into its binary prefix
// ("0000000000000001"). Values may exceed 64 bits.
func PrefixFromCN(cn string) (string, error) {
	val, length, ok := strings.Cut(cn, "/")
	if !ok {
		return "", fmt.Errorf("CN %q is not of the form value/length", cn)
	}
	n, err := strconv.Atoi(length)
	if err != nil || n < 1 || n > 128 {
		return "", fmt.Errorf("CN %q: length must be 1..128", cn)
	}
	v, ok := new(big.Int).SetString(val, 10)
	if !ok || v.Sign() < 0 || strings.HasPrefix(val, "+") {
		return "", fmt.Errorf("CN %q: value is not a decimal number", cn)
	}
	if v.BitLen() > n {
		return "", fmt.Errorf("CN %q: value does not fit in %d bits", cn, n)
	}
	b := v.Text(2)
	if v.Sign() == 0 {
		b = ""
	}
	return strings.Repeat("0", n-len(b)) + b, nil
}

// AddrFromBits pads a binary string with zeros to 128 bits.
func AddrFromBits(bits string) (netip.Addr, error) {
	if err := CheckBits(bits); err != nil {
		return netip.Addr{}, err
	}
	var a [16]byte
	for i := 0; i < len(bits); i++ {
		if bits[i] == '1' {
			a[i/8] |= 0x80 >> (i % 8)
		}
	}
	return netip.AddrFrom16(a), nil
}

// BitsFromAddr returns the first n bits of an IPv6 address.
func BitsFromAddr(a netip.Addr, n int) string {
	b := a.As16()
	var sb strings.Builder
	for i := 0; i < n && i < 128; i++ {
		if b[i/8]&(0x80>>(i%8)) != 0 {
			sb.WriteByte('1')
		} else {
			sb.WriteByte('0')
		}
	}
	return sb.String()
}

// Subnet returns network‖prefix as an IPv6 prefix.
func Subnet(network, prefix string) (netip.Prefix, error) {
	a, err := AddrFromBits(network + prefix)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, len(network)+len(prefix)), nil
}

// NodeAddr is the address a node puts on its main interface: the subnet
// address with the last bit set, or the address itself for a /128.
func NodeAddr(subnet netip.Prefix) netip.Addr {
	a := subnet.Addr()
	if subnet.Bits() == 128 {
		return a
	}
	b := a.As16()
	b[15] |= 1
	return netip.AddrFrom16(b)
}

// NetworkFromSerial decodes the network bits from a CA serial: the binary
// expansion minus its leading 1.
func NetworkFromSerial(serial *big.Int) (string, error) {
	if serial == nil || serial.Sign() <= 0 {
		return "", errors.New("CA serial must be positive: it encodes the network as 1 followed by its bits")
	}
	bits := serial.Text(2)[1:]
	if len(bits) > 128 {
		return "", fmt.Errorf("CA serial encodes %d network bits, more than 128", len(bits))
	}
	return bits, nil
}

// SerialForNetwork is the CA serial that encodes network p.
func SerialForNetwork(p netip.Prefix) *big.Int {
	bits := BitsFromAddr(p.Addr(), p.Bits())
	v, _ := new(big.Int).SetString("1"+bits, 2)
	return v
}
