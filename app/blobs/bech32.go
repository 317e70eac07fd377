package blobs

import "strings"

// bech32 encodes data (BIP 173) under hrp. age parses X25519 identities
// only from their bech32 text and keeps its encoder internal, so the store
// writes the few lines needed to hand age a key derived from the vault.
func bech32(hrp string, data []byte) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	var values []byte
	acc, bits := uint32(0), uint(0)
	for _, b := range data {
		acc = acc<<8 | uint32(b)
		for bits += 8; bits >= 5; {
			bits -= 5
			values = append(values, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		values = append(values, byte(acc<<(5-bits))&31)
	}
	check := make([]byte, 0, 2*len(hrp)+1+len(values)+6)
	for _, c := range []byte(hrp) {
		check = append(check, c>>5)
	}
	check = append(check, 0)
	for _, c := range []byte(hrp) {
		check = append(check, c&31)
	}
	check = append(check, values...)
	pm := polymod(append(check, 0, 0, 0, 0, 0, 0)) ^ 1
	for i := range 6 {
		values = append(values, byte(pm>>(5*(5-i)))&31)
	}
	var sb strings.Builder
	sb.WriteString(hrp)
	sb.WriteByte('1')
	for _, v := range values {
		sb.WriteByte(charset[v])
	}
	return sb.String()
}

func polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i, g := range gen {
			if (top>>i)&1 == 1 {
				chk ^= g
			}
		}
	}
	return chk
}
