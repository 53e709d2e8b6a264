package nft

import "encoding/binary"

// attrs builds a list of netlink attributes.
type attrs []byte

func align4(n int) int { return (n + 3) &^ 3 }

func (a *attrs) add(typ uint16, payload []byte) {
	l := 4 + len(payload)
	var h [4]byte
	binary.LittleEndian.PutUint16(h[0:], uint16(l))
	binary.LittleEndian.PutUint16(h[2:], typ)
	*a = append(*a, h[:]...)
	*a = append(*a, payload...)
	for i := l; i < align4(l); i++ {
		*a = append(*a, 0)
	}
}

func (a *attrs) str(typ uint16, s string) { a.add(typ, append([]byte(s), 0)) }

func (a *attrs) be32(typ uint16, v uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	a.add(typ, b[:])
}

func (a *attrs) nest(typ uint16, inner attrs) { a.add(typ|nlaNested, inner) }

// data adds a NFTA_DATA_VALUE nest holding v.
func (a *attrs) data(typ uint16, v []byte) {
	var in attrs
	in.add(attrDataVal, v)
	a.nest(typ, in)
}

// parseAttrs splits b into attributes by type (nested flag cleared).
func parseAttrs(b []byte) map[uint16][]byte {
	m := map[uint16][]byte{}
	for len(b) >= 4 {
		l := int(binary.LittleEndian.Uint16(b[0:]))
		typ := binary.LittleEndian.Uint16(b[2:]) &^ nlaNested
		if l < 4 || l > len(b) {
			break
		}
		m[typ] = b[4:l]
		if align4(l) > len(b) {
			break
		}
		b = b[align4(l):]
	}
	return m
}
