//go:build !race

package expr

// raceSlowdown is how much slower the race detector makes evaluations.
const raceSlowdown = 1
