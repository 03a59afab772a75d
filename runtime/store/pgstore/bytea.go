package pgstore

import (
	"encoding/binary"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// byteaArrayCodec encodes a [][]byte as a bytea[] in binary into a buffer
// grown once to its size, and leaves everything else to pgx's codec. pgx's
// own encoding appends element by element to a buffer that starts small
// for every statement, so a commit's array of customers (megabytes) was
// copied several times over while it grew.
type byteaArrayCodec struct{ pgtype.Codec }

// useByteaArrayCodec registers byteaArrayCodec on c for bytea[].
func useByteaArrayCodec(c *pgx.Conn) {
	m := c.TypeMap()
	t, ok := m.TypeForOID(pgtype.ByteaArrayOID)
	if !ok {
		return
	}
	m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: byteaArrayCodec{t.Codec}})
}

func (c byteaArrayCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.([][]byte); ok && format == pgtype.BinaryFormatCode {
		return encodeByteaArray{}
	}
	return c.Codec.PlanEncode(m, oid, format, value)
}

type encodeByteaArray struct{}

// Encode writes PostgreSQL's binary form of an array (array_send): the
// number of dimensions, whether any element is NULL, the elements' type,
// each dimension's length and lower bound, then each element's length (-1
// for NULL) and bytes. A nil element is NULL.
func (encodeByteaArray) Encode(value any, buf []byte) ([]byte, error) {
	elems := value.([][]byte)
	size, null := 20, uint32(0)
	for _, e := range elems {
		size += 4 + len(e)
		if e == nil {
			null = 1
		}
	}
	buf = slices.Grow(buf, size)
	buf = binary.BigEndian.AppendUint32(buf, 1) // one dimension, also when empty, as pgx writes it
	buf = binary.BigEndian.AppendUint32(buf, null)
	buf = binary.BigEndian.AppendUint32(buf, pgtype.ByteaOID)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(elems)))
	buf = binary.BigEndian.AppendUint32(buf, 1)
	for _, e := range elems {
		if e == nil {
			buf = binary.BigEndian.AppendUint32(buf, ^uint32(0))
			continue
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(e)))
		buf = append(buf, e...)
	}
	return buf, nil
}
