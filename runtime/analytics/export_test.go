package analytics

import (
	"bytes"
	"encoding/gob"
)

// SnapshotVersion is snapshotVersion, for the tests.
const SnapshotVersion = snapshotVersion

// SnapshotAsVersion returns a's snapshot as a runtime writing version v
// would have written it: the fields v lacks left out.
func SnapshotAsVersion(a *Analytics, v int) ([]byte, error) {
	snap, err := a.Snapshot()
	if err != nil {
		return nil, err
	}
	_, off, err := snapshotHeader(snap)
	if err != nil {
		return nil, err
	}
	var s snapState
	if err := gob.NewDecoder(bytes.NewReader(snap[off:])).Decode(&s); err != nil {
		return nil, err
	}
	s.Version = v
	if v < 3 {
		for i := range s.Journeys {
			for k := range s.Journeys[i].Alerts {
				s.Journeys[i].Alerts[k].Def = ""
			}
		}
	}
	if v < 4 {
		for i := range s.Journeys {
			s.Journeys[i].Held = nil
		}
	}
	if v < 6 {
		for i := range s.Journeys {
			js := &s.Journeys[i]
			for k := range js.Buckets {
				js.Buckets[k].Sends = nil
			}
		}
	}
	var buf bytes.Buffer
	buf.Write(snap[:off])
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
