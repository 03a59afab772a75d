package experiment

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// Uniform is the customer's position in [0, 1) for one salt: the first 64
// bits of SHA-256(salt || 0x00 || customerID), of which the top 53 make a
// float64 mantissa. The salt names the experiment (its address), so that two
// experiments' positions for one customer are independent of each other; the
// NUL keeps ("ab", "c") and ("a", "bc") apart.
func Uniform(salt, customerID string) float64 {
	h := sha256.New()
	h.Write([]byte(salt))
	h.Write([]byte{0})
	h.Write([]byte(customerID))
	var sum [sha256.Size]byte
	x := binary.BigEndian.Uint64(h.Sum(sum[:0]))
	return float64(x>>11) / (1 << 53)
}

// Assign is the arm (an index into weights) of the customer in the experiment
// named by salt: the arm whose share of the cumulative weights holds the
// customer's Uniform position. Weights are relative (they need not sum to 1);
// an arm of weight zero is never chosen. The answer is stable: the same salt,
// id and weights always give the same arm, and changing one arm's weight moves
// only the customers on the boundaries that moved. Assign returns -1 when no
// weight is positive and finite (negative, NaN and infinite weights count as
// zero).
func Assign(salt, customerID string, weights []float64) int {
	total := 0.0
	last := -1
	for i, w := range weights {
		if usable(w) {
			total += w
			last = i
		}
	}
	if last < 0 || math.IsInf(total, 0) {
		return -1
	}
	target := Uniform(salt, customerID) * total
	cum := 0.0
	for i, w := range weights {
		if !usable(w) {
			continue
		}
		cum += w
		if target < cum {
			return i
		}
	}
	// Rounding can leave target at the very top: it belongs to the last arm
	// that can be chosen.
	return last
}

func usable(w float64) bool { return w > 0 && !math.IsInf(w, 0) }

// GlobalHoldoutSalt is the salt of the global holdout (arbitration's
// holdout): the runtime's decisions and its analytics split customers by it.
const GlobalHoldoutSalt = "holdout"

// Holdout reports whether the customer falls in the held-out share (0 to 1)
// for the salt: Uniform(salt, customerID) < share. A share of 0 holds out
// no one and a share of 1 everyone.
func Holdout(salt, customerID string, share float64) bool {
	if !(share > 0) {
		return false
	}
	return Uniform(salt, customerID) < share
}
