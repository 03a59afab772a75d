// Package units prints KPI figures for people in the unit they are
// measured in: a duration of seconds as "3d4h", a share as "57.1%".
//
// It knows nothing of where the figures come from; the CLI's commands
// that print figures (status, plan -simulate) use it so that one
// figure reads the same in each.
package units
