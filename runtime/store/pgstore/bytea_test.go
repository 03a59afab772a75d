package pgstore

import (
	"bytes"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// byteaArrayCodec writes the same bytes as pgx's own encoding of a bytea[].
func TestByteaArrayEncoding(t *testing.T) {
	m := pgtype.NewMap()
	typ, _ := m.TypeForOID(pgtype.ByteaArrayOID)
	ours := byteaArrayCodec{typ.Codec}
	for _, v := range [][][]byte{
		{},
		{[]byte("a")},
		{[]byte("customer"), {}, nil, bytes.Repeat([]byte{0xff}, 1000)},
	} {
		want, err := m.Encode(pgtype.ByteaArrayOID, pgtype.BinaryFormatCode, v, []byte("prefix"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ours.PlanEncode(m, pgtype.ByteaArrayOID, pgtype.BinaryFormatCode, v).Encode(v, []byte("prefix"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%q: got %x, want %x", v, got, want)
		}
	}
}
